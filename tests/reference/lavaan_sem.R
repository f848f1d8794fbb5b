#!/usr/bin/env Rscript
# Reference values for pipeline.stats.sem (the project's own ML fitter) against lavaan::sem with
# its defaults. Pinned in tests/test_stats_sem.py.
#   hs_sem:   HolzingerSwineford1939, three factors, textual ~ a*visual, speed ~ b*textual +
#             c*visual, ind := a*b, tot := c + a*b (delta method), plus a percentile bootstrap
#             of ind and tot (5000 resamples, seed 20240501; compared within Monte-Carlo error)
#   hs_fixedx: two factors with an observed exogenous covariate (textual ~ visual + ageyr):
#             lavaan's fixed.x (conditional log-likelihood, no latent-observed covariance)
#   demo:     process -> management -> overall_sat, process and management latent (four items
#             each), overall_sat observed; listwise complete rows of
#             outputs/demo/clean/responses.parquet (make demo) written to CSV
# Usage: Rscript tests/reference/lavaan_sem.R /tmp/holzinger39.csv /tmp/demo_sem.csv > tests/reference/lavaan_sem.json
#   holzinger39.csv: semopy.examples.holzinger39.get_data().to_csv(path, index=False)
#   demo_sem.csv: the nine columns below from responses.parquet, to_csv(index=False)
suppressPackageStartupMessages({library(lavaan); library(jsonlite)})
sink(stderr())
args <- commandArgs(trailingOnly = TRUE)
hs <- read.csv(args[1]); demo <- read.csv(args[2])
take <- function(fit) {
  pe <- parameterEstimates(fit)
  st <- standardizedSolution(fit)
  list(fit = as.list(fitMeasures(fit, c("npar", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea.ci.lower",
                                        "rmsea.ci.upper", "srmr", "logl", "aic", "bic", "baseline.chisq"))),
       nobs = nobs(fit),
       est = data.frame(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, est = pe$est, se = pe$se,
                        std_all = st$est.std, std_se = st$se),
       r2 = as.list(inspect(fit, "r2")))
}
m1 <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9
textual ~ a*visual
speed ~ b*textual + c*visual
ind := a*b
tot := c + a*b"
out <- list(versions = list(R = R.version.string, lavaan = as.character(packageVersion("lavaan"))))
out$hs_sem <- take(sem(m1, data = hs))
set.seed(20240501)
fb <- sem(m1, data = hs, se = "bootstrap", bootstrap = 5000)
pb <- parameterEstimates(fb, boot.ci.type = "perc")
pb <- pb[pb$op == ":=", ]
out$hs_sem$bootstrap <- data.frame(name = pb$lhs, est = pb$est, se = pb$se, ci_lower = pb$ci.lower, ci_upper = pb$ci.upper)
m2 <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
textual ~ visual + ageyr"
out$hs_fixedx <- take(sem(m2, data = hs))
m3 <- "process =~ sat_consultation + sat_disclosure + sat_adoption + sat_complaints
management =~ sat_property_service + sat_fee_disclosure + sat_maintenance + sat_repair
management ~ a*process
overall_sat ~ b*management + c*process
ind := a*b
tot := c + a*b"
out$demo <- take(sem(m3, data = demo))
sink()
cat(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", pretty = TRUE))
