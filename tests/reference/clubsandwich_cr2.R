# CR2 cluster-robust standard errors with Satterthwaite degrees of freedom, pinned in
# tests/test_stats_models.py:
#  * R's ordinal::wine: lm(response ~ temp + contact), clusters = judge (9);
#  * the bundled demo's clean responses (make demo; the columns below written to CSV from
#    outputs/demo/clean/responses.parquet): overall_sat ~ management + process, where the two are
#    the row means of their four items (na.rm = TRUE), clusters = community (6).
# Run: Rscript tests/reference/clubsandwich_cr2.R /tmp/demo_cr2.csv
suppressMessages({library(clubSandwich); library(ordinal)})
show <- function(m, cl) {
  ct <- coef_test(m, vcov = "CR2", cluster = cl, test = "Satterthwaite")
  for (i in seq_len(nrow(ct))) cat(sprintf("%s se=%.10f df=%.10f p=%.10g\n", ct$Coef[i], ct$SE[i], ct$df_Satt[i], ct$p_Satt[i]))
}
show(lm(response ~ temp + contact, data = wine), wine$judge)
d <- read.csv(commandArgs(trailingOnly = TRUE)[1])
d$management <- rowMeans(d[, c("sat_property_service", "sat_fee_disclosure", "sat_maintenance", "sat_repair")], na.rm = TRUE)
d$process <- rowMeans(d[, c("sat_consultation", "sat_disclosure", "sat_adoption", "sat_complaints")], na.rm = TRUE)
d <- d[complete.cases(d[, c("overall_sat", "management", "process", "community")]), ]
show(lm(overall_sat ~ management + process, data = d), d$community)
