# The stats stage's random-intercept model on the demo (make demo): overall_sat on the five
# construct scores (item means, at least half the items answered, as the stage computes them and
# writes them to CSV: overall_sat, community, score_*), lme4::lmer REML. Pinned in
# tests/test_stats_models.py (fixed effects, their SEs = vcov(), variances, logLik).
# Rscript tests/reference/lme4_demo_mixed.R /tmp/demo_mixed.csv
suppressMessages(library(lme4))
d <- read.csv(commandArgs(trailingOnly = TRUE)[1])
m <- lmer(overall_sat ~ score_infrastructure + score_environment + score_ageing + score_management + score_process +
          (1 | community), data = d, REML = TRUE)
print(cbind(fixef(m), sqrt(diag(as.matrix(vcov(m))))), digits = 10)
print(as.data.frame(VarCorr(m))[, c("grp", "vcov")], digits = 10)
print(logLik(m), digits = 10)
