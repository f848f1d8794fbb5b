# Rao-Scott tests of independence (survey::svychisq) on the api data, pinned in
# tests/test_stats_weights.py. Data: tests/reference/data/apistrat.csv (written by survey_weights.R).
suppressMessages(library(survey))
d <- read.csv("tests/reference/data/apistrat.csv")
ds <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = d)
show <- function(t) cat(sprintf("stat=%.10f ndf=%.10f ddf=%.10f p=%.10g\n", t$statistic,
                                t$parameter[1], ifelse(length(t$parameter) > 1, t$parameter[2], NA), t$p.value))
show(svychisq(~sch.wide + stype, ds))                      # F
show(svychisq(~sch.wide + stype, ds, statistic = "Chisq"))  # first order
d0 <- svydesign(id = ~1, weights = ~pw, data = d)
pop <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
dp <- postStratify(d0, ~stype, pop)
show(svychisq(~awards + stype, dp))
show(svychisq(~awards + stype, dp, statistic = "Chisq"))
# stat=17.2474439639 ndf=1.8286715042 ddf=360.2482863202 p=2.035046359e-07
# stat=26.7535340359 ndf=2.0000000000 ddf=NA p=3.232438416e-08
# stat=13.6839437122 ndf=1.8930070212 ddf=376.7083972189 p=3.061132189e-06
# stat=19.4796560888 ndf=2.0000000000 ddf=NA p=1.14061415e-06

# The demo (make demo): clean responses' gender, community and age_band written to CSV; the
# design is post-stratified to the households of tests/../examples/demo/raw/households.csv
# (community codes 1-6 = 梧桐里小区 1480, 建设新村 960, 纺织厂宿舍 420, 和平街小区 1150, 红星苑 680, 铁路新村 330).
# Rscript tests/reference/survey_svychisq.R /tmp/demo_rs.csv
args <- commandArgs(trailingOnly = TRUE)
if (length(args)) {
  d <- read.csv(args[1])
  d0 <- svydesign(id = ~1, weights = ~1, data = d)
  pop <- data.frame(community = 1:6, Freq = c(1480, 960, 420, 1150, 680, 330))
  dp <- postStratify(d0, ~community, pop)
  show(svychisq(~gender + community, dp))
  show(svychisq(~age_band + community, dp))
}

# Design-based linear regression (survey::svyglm, gaussian), pinned in tests/test_stats_weights.py
a <- read.csv("tests/reference/data/apistrat.csv")
ds <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = a)
s <- summary(svyglm(api00 ~ ell + meals + mobility, ds)); print(s$coefficients, digits = 10); print(s$df.residual)
#                   Estimate    Std. Error        t value         Pr(>|t|)
# (Intercept) 820.8873159056 10.0777359499  81.4555292962 5.594749815e-152
# ell          -0.4805866122  0.3919734032  -1.2260694430  2.216587152e-01
# meals        -3.1415353100  0.2839465064 -11.0638280063  2.254134652e-22
# mobility      0.2257132102  0.3932183620   0.5740149292  5.666226132e-01
# df.residual 194
dp <- postStratify(svydesign(id = ~1, weights = ~pw, data = a), ~stype, data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018)))
print(summary(svyglm(api00 ~ ell + meals, dp))$coefficients, digits = 10)
#                  Estimate   Std. Error       t value         Pr(>|t|)
# (Intercept) 823.8579267745 8.8631646436  92.953020722 1.126207188e-164
# ell          -0.5057255499 0.3922486182  -1.289298487  1.988060796e-01
# meals        -3.1106290021 0.2789707114 -11.150378426  1.064260238e-22
