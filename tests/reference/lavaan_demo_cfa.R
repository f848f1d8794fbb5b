# The stats stage's CFA of the demo's five constructs (make demo; their 22 items written from
# outputs/demo/clean/responses.parquet to CSV; listwise complete rows), lavaan ML. Pinned in
# tests/test_stats_stage.py.  Rscript tests/reference/lavaan_demo_cfa.R /tmp/demo_cfa.csv
suppressMessages({library(lavaan); library(semTools)})
d <- read.csv(commandArgs(trailingOnly = TRUE)[1])
model <- "
infrastructure =~ sat_water + sat_power + sat_gas + sat_drainage + sat_roads + sat_fire
environment =~ sat_greening + sat_sanitation + sat_parking + sat_lighting
ageing =~ sat_elevator + sat_barrier_free + sat_activity_space + sat_elderly_care
management =~ sat_property_service + sat_fee_disclosure + sat_maintenance + sat_repair
process =~ sat_consultation + sat_disclosure + sat_adoption + sat_complaints"
fit <- cfa(model, data = d)
print(unclass(fitMeasures(fit, c("chisq", "df", "cfi", "tli", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper", "srmr"))), digits = 12)
print(nobs(fit))
print(unclass(compRelSEM(fit, obs.var = FALSE)), digits = 12)
print(unclass(htmt(model, d, htmt2 = FALSE)), digits = 12)
# chisq 213.9746236208571 df 199 cfi 0.9952533879692 tli 0.9944901136728 rmsea 0.0141656264649
# rmsea.ci 0 0.0270008886729 srmr 0.0349422245050 nobs 375
# compRelSEM: 0.870417673341 0.819493184315 0.800986435022 0.843105653360 0.810316021894
# htmt(htmt2 = FALSE): infrastructure-environment 0.359370126724, management-process 0.449617825834
