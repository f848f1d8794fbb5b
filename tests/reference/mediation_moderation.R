# Mediation (PROCESS model 4 by OLS) and moderation (model 1, mean-centred, simple slopes at
# mean -/+ 1 SD), pinned in tests/test_stats_paths.py. Data written by the doctests' generators
# (numpy default_rng(1) and (2); /tmp/med.csv and /tmp/mod.csv). The bootstrap interval of the
# indirect effect is checked against boot::boot percentile intervals within Monte-Carlo error.
# Rscript tests/reference/mediation_moderation.R /tmp/med.csv /tmp/mod.csv
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
a <- lm(m ~ x, d); b <- lm(y ~ x + m, d); c <- lm(y ~ x, d)
print(rbind(a = summary(a)$coef["x", 1:2], b = summary(b)$coef["m", 1:2], c = summary(c)$coef["x", 1:2],
            cprime = summary(b)$coef["x", 1:2]), digits = 12)
set.seed(3)
ind <- replicate(5000, { i <- sample(nrow(d), replace = TRUE); coef(lm(m ~ x, d[i, ]))[2] * coef(lm(y ~ x + m, d[i, ]))[3] })
print(c(sd = sd(ind), quantile(ind, c(.025, .975))), digits = 6)
e <- read.csv(args[2])
e$xc <- e$x - mean(e$x); e$wc <- e$w - mean(e$w)
m <- lm(y ~ xc * wc, e); V <- vcov(m); s <- sd(e$w)
for (wv in c(-s, 0, s)) { sl <- coef(m)["xc"] + coef(m)["xc:wc"] * wv
  se <- sqrt(V["xc", "xc"] + wv^2 * V["xc:wc", "xc:wc"] + 2 * wv * V["xc", "xc:wc"]); cat(sprintf("%.12f %.12f\n", sl, se)) }
print(summary(m)$coef, digits = 12)
# a 0.539756794484 (0.0687706399364)  b 0.172816596180 (0.0790138216113)  c 0.523205495663 (0.0771878925364)
# c' 0.429926563676 (0.0875506937187); bootstrap (set.seed(3), 5000): sd 0.0417744, 2.5% 0.0100986, 97.5% 0.1759160
# simple slopes: -0.085077200940 (0.085633846750), 0.229108001283 (0.057617134064), 0.543293203507 (0.081963358998)
# xc:wc 0.3211368706454 (0.0622225444714); xc p 8.80109361210e-05

# The demo's planned mediation (process -> management -> overall_sat) on the stage's construct
# scores (/tmp/demo_mixed.csv from tests/reference/lme4_demo_mixed.R's export):
#   a 0.3797331795079 (SE 0.0410911080073), b 0.5605688579416, c' 0.5383655311053, n 600;
#   set.seed(1), 5000 resamples: SD 0.026362, 2.5% 0.164017, 97.5% 0.265539

# BCa interval of the indirect effect (boot::boot.ci, type "bca"; its acceleration from the
# empirical influence values) and the Johnson-Neyman points of the moderation (where the simple
# slope's p is .05: the roots of (b1 + b3 w)^2 = t^2 (v11 + w^2 v33 + 2 w v13), w centred),
# checked by recomputing p at each point from lm's vcov.
suppressMessages(library(boot))
set.seed(3)
bt <- boot(d, function(dd, i) coef(lm(m ~ x, dd[i, ]))[2] * coef(lm(y ~ x + m, dd[i, ]))[3], R = 5000)
print(boot.ci(bt, type = c("perc", "bca"))$bca, digits = 8)
tc <- qt(.975, df.residual(m)); b1 <- coef(m)["xc"]; b3 <- coef(m)["xc:wc"]
qa <- b3^2 - tc^2 * V["xc:wc", "xc:wc"]; qb <- 2 * (b1 * b3 - tc^2 * V["xc", "xc:wc"]); qc <- b1^2 - tc^2 * V["xc", "xc"]
r <- sort((-qb + c(-1, 1) * sqrt(qb^2 - 4 * qa * qc)) / (2 * qa))
for (w0 in r) { sl <- b1 + b3 * w0; se <- sqrt(V["xc", "xc"] + w0^2 * V["xc:wc", "xc:wc"] + 2 * w0 * V["xc", "xc:wc"])
  cat(sprintf("JN w = %.10f  p = %.10f\n", w0 + mean(e$w), 2 * pt(-abs(sl / se), df.residual(m)))) }
# boot.ci bca (set.seed(3), R = 5000): 95% 0.014273 0.175325
# JN w = -1.4146919943 and -0.3972440178 (p = 0.05 at both)
