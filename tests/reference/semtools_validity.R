# Measurement-model validity of the Holzinger-Swineford three-factor CFA, pinned in
# tests/test_stats_validity.py: lavaan fit measures (RMSEA 90% CI, SRMR), standardised loadings,
# latent correlations, semTools::htmt and compRelSEM (obs.var = FALSE), AVE; Harman's first
# principal component. Data: semopy.examples.holzinger39 written to CSV (= lavaan's
# HolzingerSwineford1939 x1..x9).  Rscript tests/reference/semtools_validity.R /tmp/hs39.csv
suppressMessages({library(lavaan); library(semTools)})
d <- read.csv(commandArgs(trailingOnly = TRUE)[1])
model <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
fit <- cfa(model, data = d)
print(fitMeasures(fit, c("chisq", "df", "cfi", "tli", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper", "srmr")), digits = 10)
std <- standardizedSolution(fit)
print(std[std$op == "=~", c("lhs", "rhs", "est.std")], digits = 10)
print(std[std$op == "~~" & std$lhs != std$rhs & std$lhs %in% c("visual", "textual", "speed"), c("lhs", "rhs", "est.std")], digits = 10)
print(htmt(model, d), digits = 10)
print(compRelSEM(fit, obs.var = FALSE), digits = 10)
print(AVE(fit), digits = 10)
e <- eigen(cor(d[, paste0("x", 1:9)]))$values; print(e[1] / 9 * 100, digits = 10)
# Values (Debian semTools 0.5.6, lavaan 0.6):
#  fitMeasures: chisq 85.3055217699727 cfi 0.9305596517993 tli 0.8958394776990 rmsea 0.0921214845102
#               rmsea.ci.lower 0.0714184904399 rmsea.ci.upper 0.1136780168120 srmr 0.0652050571844
#  htmt(htmt2 = FALSE): visual-textual 0.424323042413, visual-speed 0.466549738479, textual-speed 0.289567862761
#  htmt (htmt2 = TRUE):  0.384088563920, 0.386772930479, 0.279683551027
#  compRelSEM(obs.var = FALSE): 0.625318015571 0.885175360317 0.687760037206
#  AVE: 0.370558872630 0.721016282827 0.424488292585
#  std loadings: 0.771880420352 0.423600991988 0.581132323928 0.851582222378 0.855065446373
#                0.838010073942 0.569514683990 0.723044432770 0.665009218816
#  latent correlations: 0.458509300356 0.470534544464 0.282984730416
#  Harman first component: 35.73715757 %
