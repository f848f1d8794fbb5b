#!/usr/bin/env Rscript
# Reference values for an ordinal (cumulative logit) regression with ordinal::clm and for
# linear / binomial mixed models with lme4, on data shipped with those packages.
#
# Usage (from the repository root):
#   Rscript tests/reference/ordinal_lme4.R tests/reference/data > tests/reference/ordinal_lme4.json
#
# The argument is a directory; the script writes there the data it uses, so that Python
# tests read identical numbers without R (write.csv(..., row.names = FALSE)):
#   wine.csv        ordinal::wine (72 x 6; rating 1..5 is an ordered factor, temp cold/warm,
#                   contact no/yes, bottle 1..8, judge 1..9)
#   sleepstudy.csv  lme4::sleepstudy (180 x 3; Subject is a factor of 18 ids)
#   cbpp.csv        lme4::cbpp (56 x 4; herd 1..15 and period 1..4 are factors)
# The models are fitted on the CSVs as read back (with the factor levels set as in R), and
# the script checks that they are identical to the packages' own copies.
suppressPackageStartupMessages({
  library(ordinal)
  library(lme4)
  library(jsonlite)
})
sink(stderr())

args <- commandArgs(trailingOnly = TRUE)
datadir <- if (length(args) >= 1) args[1] else "tests/reference/data"
dir.create(datadir, showWarnings = FALSE, recursive = TRUE)
named <- function(v) as.list(v)
versions <- function(pkgs) c(list(R = R.version.string),
                              setNames(lapply(pkgs, function(p) as.character(packageVersion(p))), pkgs))
coef_table <- function(est, se) {
  setNames(lapply(seq_along(est), function(i) list(estimate = unname(est[i]), se = unname(se[i]))), names(est))
}

# ---------------------------------------------------------------- data (write, read back, check)
wine0 <- ordinal::wine; sleep0 <- lme4::sleepstudy; cbpp0 <- lme4::cbpp
write.csv(wine0, file.path(datadir, "wine.csv"), row.names = FALSE)
write.csv(sleep0, file.path(datadir, "sleepstudy.csv"), row.names = FALSE)
write.csv(cbpp0, file.path(datadir, "cbpp.csv"), row.names = FALSE)

wine <- read.csv(file.path(datadir, "wine.csv"))
wine$rating <- factor(wine$rating, levels = 1:5, ordered = TRUE)
wine$temp <- factor(wine$temp, levels = c("cold", "warm"))
wine$contact <- factor(wine$contact, levels = c("no", "yes"))
wine$bottle <- factor(wine$bottle, levels = 1:8)
wine$judge <- factor(wine$judge, levels = 1:9)
sleep <- read.csv(file.path(datadir, "sleepstudy.csv"))
sleep$Subject <- factor(sleep$Subject, levels = levels(sleep0$Subject))
cbpp <- read.csv(file.path(datadir, "cbpp.csv"))
cbpp$herd <- factor(cbpp$herd, levels = 1:15)
cbpp$period <- factor(cbpp$period, levels = 1:4)
data_check <- list(
  wine_identical = isTRUE(all.equal(wine, wine0, tolerance = 0, check.attributes = FALSE)),
  sleepstudy_identical = isTRUE(all.equal(sleep, sleep0, tolerance = 0, check.attributes = FALSE)),
  cbpp_identical = isTRUE(all.equal(cbpp, cbpp0, tolerance = 0, check.attributes = FALSE)),
  dims = list(wine = dim(wine), sleepstudy = dim(sleep), cbpp = dim(cbpp))
)
stopifnot(unlist(data_check[1:3]))

# ---------------------------------------------------------------- ordinal::clm
m <- clm(rating ~ temp + contact, data = wine)
sm <- summary(m)$coefficients
clm_out <- list(
  call = "ordinal::clm(rating ~ temp + contact, data = wine)  # link = 'logit', threshold = 'flexible'",
  parameterisation = "logit P(rating <= j) = theta_j - (beta_temp * warm + beta_contact * yes)",
  thresholds = coef_table(m$alpha, sm[names(m$alpha), "Std. Error"]),
  betas = coef_table(m$beta, sm[names(m$beta), "Std. Error"]),
  z = named(sm[, "z value"]), p = named(sm[, "Pr(>|z|)"]),
  logLik = as.numeric(logLik(m)), df = attr(logLik(m), "df"), AIC = AIC(m), BIC = BIC(m),
  nobs = nobs(m), niter = unname(m$niter[1]), max_grad = max(abs(m$gradient)),
  cond_H = m$cond.H,
  vcov = unclass(vcov(m)), vcov_names = colnames(vcov(m))
)

# ---------------------------------------------------------------- lme4::lmer
lmm <- function(reml) {
  f <- lmer(Reaction ~ Days + (1 | Subject), data = sleep, REML = reml)
  vc <- as.data.frame(VarCorr(f))
  v_subj <- vc$vcov[vc$grp == "Subject"]; v_res <- vc$vcov[vc$grp == "Residual"]
  list(
    call = sprintf("lme4::lmer(Reaction ~ Days + (1 | Subject), data = sleepstudy, REML = %s)", reml),
    fixed = coef_table(fixef(f), sqrt(diag(as.matrix(vcov(f))))),
    t = named(summary(f)$coefficients[, "t value"]),
    var_subject = v_subj, sd_subject = sqrt(v_subj),
    var_residual = v_res, sd_residual = sigma(f),
    icc = v_subj / (v_subj + v_res),
    logLik = as.numeric(logLik(f)), df = attr(logLik(f), "df"),
    AIC = AIC(f), BIC = BIC(f), deviance_or_REMLcrit = unname(if (reml) REMLcrit(f) else deviance(f)),
    nobs = nobs(f), n_groups = unname(ngrps(f)),
    random_intercepts = named(setNames(ranef(f)$Subject[, 1], rownames(ranef(f)$Subject)))
  )
}
lmer_out <- list(REML = lmm(TRUE), ML = lmm(FALSE))

# ---------------------------------------------------------------- lme4::glmer
g <- glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), family = binomial, data = cbpp)
gvc <- as.data.frame(VarCorr(g))
glmer_out <- list(
  call = "lme4::glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), family = binomial, data = cbpp)  # nAGQ = 1 (Laplace); glmerControl() default optimizer = c('bobyqa', 'Nelder_Mead'): bobyqa for the nAGQ = 0 start, Nelder_Mead for the Laplace fit",
  fixed = coef_table(fixef(g), sqrt(diag(as.matrix(vcov(g))))),
  z = named(summary(g)$coefficients[, "z value"]),
  p = named(summary(g)$coefficients[, "Pr(>|z|)"]),
  var_herd = gvc$vcov[gvc$grp == "herd"], sd_herd = gvc$sdcor[gvc$grp == "herd"],
  logLik = as.numeric(logLik(g)), df = attr(logLik(g), "df"), AIC = AIC(g), BIC = BIC(g),
  deviance = deviance(g), nobs = nobs(g), n_groups = unname(ngrps(g)),
  optimizer_final_stage = g@optinfo$optimizer,
  convergence_warnings = as.list(g@optinfo$conv$lme4$messages)
)

out <- list(
  generated_by = "tests/reference/ordinal_lme4.R",
  versions = versions(c("ordinal", "lme4", "Matrix", "jsonlite")),
  data_check = data_check,
  clm_wine = clm_out,
  lmer_sleepstudy = lmer_out,
  glmer_cbpp = glmer_out,
  notes = c("clm: thresholds are theta_j in logit P(Y <= j) = theta_j - x'beta; statsmodels OrderedModel uses the same sign but parameterises thresholds 2..J-1 as log increments.",
            "lmer SEs are from vcov() (REML fit uses the REML estimates of the variance components). ICC = var_subject / (var_subject + var_residual).",
            "glmer: Laplace approximation (nAGQ = 1); estimates typically agree across optimisers only to ~1e-4 relative.")
)
sink()
cat(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"), "\n")
