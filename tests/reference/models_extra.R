#!/usr/bin/env Rscript
# Reference values for pipeline/stats/models.py that tests/reference/ordinal_lme4.R does not
# give: OLS with classical and cluster-robust (CR1) standard errors, binary logit with Wald
# odds-ratio intervals, the thresholds-only clm (for McFadden's pseudo R2) and the null lmer
# (for the ICC). Base R plus ordinal and lme4; the sandwich package is not needed.
#
# Usage (from the repository root, after ordinal_lme4.R has written the data):
#   Rscript tests/reference/models_extra.R tests/reference/data > tests/reference/models_extra.json
#
# Reads (never writes) wine.csv, sleepstudy.csv and cbpp.csv from the data directory, with the
# factor levels set as in R (the same reading as ordinal_lme4.R).
#
# CR1 cluster-robust covariance, computed by hand:
#   V = (X'X)^-1 (sum_g X_g' u_g u_g' X_g) (X'X)^-1 * G/(G-1) * (n-1)/(n-k)
# which is Stata's vce(cluster) and sandwich::vcovCL(m, cluster = ~g, type = "HC1")
# (cadjust = TRUE, the default). t tests and intervals use G - 1 degrees of freedom (Stata);
# note that lmtest::coeftest(m, vcovCL(...)) would use n - k instead.
suppressPackageStartupMessages({
  library(ordinal)
  library(lme4)
  library(jsonlite)
})
sink(stderr())

args <- commandArgs(trailingOnly = TRUE)
datadir <- if (length(args) >= 1) args[1] else "tests/reference/data"
named <- function(v) as.list(v)
versions <- function(pkgs) c(list(R = R.version.string),
                              setNames(lapply(pkgs, function(p) as.character(packageVersion(p))), pkgs))

wine <- read.csv(file.path(datadir, "wine.csv"))
wine$rating <- factor(wine$rating, levels = 1:5, ordered = TRUE)
wine$temp <- factor(wine$temp, levels = c("cold", "warm"))
wine$contact <- factor(wine$contact, levels = c("no", "yes"))
wine$judge <- factor(wine$judge, levels = 1:9)
sleep <- read.csv(file.path(datadir, "sleepstudy.csv"))
sleep$Subject <- factor(sleep$Subject)
cbpp <- read.csv(file.path(datadir, "cbpp.csv"))
cbpp$herd <- factor(cbpp$herd, levels = 1:15)
cbpp$period <- factor(cbpp$period, levels = 1:4)
stopifnot(nrow(wine) == 72, nrow(sleep) == 180, nrow(cbpp) == 56)

# one row per animal: incidence rows with infected = 1, size - incidence rows with infected = 0
cbpp_long <- do.call(rbind, lapply(seq_len(nrow(cbpp)), function(i) {
  r <- cbpp[i, ]
  data.frame(herd = r$herd, period = r$period,
             infected = c(rep(1L, r$incidence), rep(0L, r$size - r$incidence)))
}))

coefs <- function(est, se, stat, p, lo, hi, extra = list()) {
  out <- lapply(seq_along(est), function(i) c(list(estimate = unname(est[i]), se = unname(se[i]),
                                                   statistic = unname(stat[i]), p_val = unname(p[i]),
                                                   ci95_low = unname(lo[i]), ci95_high = unname(hi[i])),
                                              lapply(extra, function(v) unname(v[i]))))
  setNames(out, names(est))
}

# ---------------------------------------------------------------- OLS, classical and CR1
cr1 <- function(m, cluster) {
  X <- model.matrix(m); u <- resid(m); n <- nrow(X); k <- ncol(X)
  cl <- droplevels(as.factor(cluster)); G <- nlevels(cl)
  bread <- solve(crossprod(X))
  meat <- matrix(0, k, k)
  for (idx in split(seq_len(n), cl)) {
    s <- crossprod(X[idx, , drop = FALSE], u[idx])
    meat <- meat + s %*% t(s)
  }
  V <- bread %*% meat %*% bread * G / (G - 1) * (n - 1) / (n - k)
  dimnames(V) <- list(colnames(X), colnames(X))
  list(V = V, G = G, df = G - 1)
}
ols_ref <- function(m, cluster, call, cluster_name) {
  s <- summary(m); est <- coef(m); ci <- confint(m)
  classical <- coefs(est, s$coefficients[, 2], s$coefficients[, 3], s$coefficients[, 4], ci[, 1], ci[, 2])
  r <- cr1(m, cluster); se <- sqrt(diag(r$V)); tt <- est / se; q <- qt(0.975, r$df)
  clustered <- coefs(est, se, tt, 2 * pt(-abs(tt), r$df), est - q * se, est + q * se)
  list(call = call,
       cluster_call = sprintf("CR1 by %s, by hand (= sandwich::vcovCL(m, cluster = ~%s, type = 'HC1')); t on G - 1 = %d df",
                              cluster_name, cluster_name, r$df),
       classical = classical, cluster = clustered, cluster_vcov = unclass(r$V),
       n = nobs(m), n_groups = r$G, df_resid = df.residual(m), df_cluster = r$df,
       r2 = s$r.squared, adj_r2 = s$adj.r.squared, sigma = sigma(m),
       logLik = as.numeric(logLik(m)), AIC = AIC(m), BIC = BIC(m))
}
ols_wine <- ols_ref(lm(response ~ temp + contact, data = wine), wine$judge,
                    "lm(response ~ temp + contact, data = wine)", "judge")
ols_sleep <- ols_ref(lm(Reaction ~ Days, data = sleep), sleep$Subject,
                     "lm(Reaction ~ Days, data = sleepstudy)", "Subject")

# ---------------------------------------------------------------- binary logit
logit_ref <- function(m, call) {
  s <- summary(m)$coefficients; ci <- confint.default(m); est <- coef(m)
  m0 <- update(m, . ~ 1)
  list(call = call,
       coefficients = coefs(est, s[, 2], s[, 3], s[, 4], ci[, 1], ci[, 2],
                            list(odds_ratio = exp(est), or_ci95_low = exp(ci[, 1]), or_ci95_high = exp(ci[, 2]))),
       n = nobs(m), n_events = sum(m$y), df_resid = df.residual(m),
       logLik = as.numeric(logLik(m)), logLik_null = as.numeric(logLik(m0)),
       pseudo_r2_mcfadden = 1 - as.numeric(logLik(m)) / as.numeric(logLik(m0)),
       AIC = AIC(m), BIC = BIC(m), converged = m$converged, iter = m$iter)
}
# IRLS run to convergence: with glm's default epsilon = 1e-8 the SEs come from the weights of
# the last-but-one iterate and differ from the exact MLE's by up to ~1e-4 relative (wine).
tight <- glm.control(epsilon = 1e-14, maxit = 100)
logit_cbpp <- logit_ref(glm(infected ~ period, family = binomial, data = cbpp_long, control = tight),
                        "glm(infected ~ period, family = binomial, data = cbpp_long, control = glm.control(epsilon = 1e-14, maxit = 100))  # cbpp, one row per animal (842 rows)")
wine$high <- as.integer(as.integer(as.character(wine$rating)) >= 4)
logit_wine <- logit_ref(glm(high ~ temp + contact, family = binomial, data = wine, control = tight),
                        "glm(high ~ temp + contact, family = binomial, data = wine, control = glm.control(epsilon = 1e-14, maxit = 100))  # high = rating >= 4")
default_fit <- function(f, d) {
  m <- glm(f, family = binomial, data = d)
  list(estimate = as.list(coef(m)), se = as.list(sqrt(diag(vcov(m)))), iter = m$iter)
}
logit_cbpp$default_control <- default_fit(infected ~ period, cbpp_long)
logit_wine$default_control <- default_fit(high ~ temp + contact, wine)

# ---------------------------------------------------------------- clm: thresholds-only model
m1 <- clm(rating ~ temp + contact, data = wine)
m0 <- clm(rating ~ 1, data = wine)
clm_null <- list(call = "ordinal::clm(rating ~ 1, data = wine)",
                 logLik = as.numeric(logLik(m0)), logLik_model = as.numeric(logLik(m1)),
                 pseudo_r2_mcfadden = 1 - as.numeric(logLik(m1)) / as.numeric(logLik(m0)),
                 BIC_model = BIC(m1))

# ---------------------------------------------------------------- lmer: null model, ICC(1)
f0 <- lmer(Reaction ~ 1 + (1 | Subject), data = sleep, REML = TRUE)
vc <- as.data.frame(VarCorr(f0))
v_subj <- vc$vcov[vc$grp == "Subject"]; v_res <- vc$vcov[vc$grp == "Residual"]
lmer_null <- list(call = "lme4::lmer(Reaction ~ 1 + (1 | Subject), data = sleepstudy)  # REML",
                  intercept = unname(fixef(f0)[1]), se_intercept = unname(sqrt(diag(as.matrix(vcov(f0))))[1]),
                  var_subject = v_subj, var_residual = v_res, icc = v_subj / (v_subj + v_res),
                  logLik = as.numeric(logLik(f0)), AIC = AIC(f0), BIC = BIC(f0),
                  nobs = nobs(f0), n_groups = unname(ngrps(f0)))

out <- list(
  generated_by = "tests/reference/models_extra.R",
  versions = versions(c("ordinal", "lme4", "jsonlite")),
  ols_wine_cluster_judge = ols_wine,
  ols_sleepstudy_cluster_subject = ols_sleep,
  logit_cbpp = logit_cbpp,
  logit_wine_high = logit_wine,
  clm_wine_null = clm_null,
  lmer_sleepstudy_null = lmer_null,
  notes = c("CR1 = (X'X)^-1 meat (X'X)^-1 * G/(G-1) * (n-1)/(n-k), as Stata and sandwich::vcovCL(type = 'HC1'); p-values and intervals on t(G - 1).",
            "logit intervals are Wald (confint.default), odds ratios exp() of them. glm is run with epsilon = 1e-14 (exact MLE); default_control holds the default fit (epsilon = 1e-8), whose SEs differ by up to ~1e-4 relative.",
            "McFadden pseudo R2 = 1 - logLik(model) / logLik(intercept- or thresholds-only model).")
)
sink()
cat(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"), "\n")
