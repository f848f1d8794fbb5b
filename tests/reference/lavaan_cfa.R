#!/usr/bin/env Rscript
# Reference values for a confirmatory factor analysis with lavaan: the Holzinger &
# Swineford (1939) three-factor model, default estimator (ML).
#
# Usage (from the repository root):
#   Rscript tests/reference/lavaan_cfa.R /tmp/holzinger39.csv > tests/reference/lavaan_cfa.json
#
# holzinger39.csv is exported from the project's Python environment (semopy 2.3.11,
# 301 x 15, index 1..301):
#   from semopy.examples import holzinger39; holzinger39.get_data().to_csv('/tmp/holzinger39.csv', index_label='rowname')
# It is compared with lavaan::HolzingerSwineford1939 ("data_check").
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})
sink(stderr())

args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 1) stop("usage: lavaan_cfa.R HOLZINGER39_CSV")
named <- function(v) as.list(v)
versions <- function(pkgs) c(list(R = R.version.string),
                              setNames(lapply(pkgs, function(p) as.character(packageVersion(p))), pkgs))

hs <- read.csv(args[1], check.names = FALSE)
hs$rowname <- NULL   # present if exported with index_label='rowname'; index=False works too
hs_r <- lavaan::HolzingerSwineford1939
num <- c("id", "sex", "ageyr", "agemo", "grade", paste0("x", 1:9))
a <- as.matrix(hs[, num]); b <- as.matrix(hs_r[, num])
data_check <- list(
  source = "semopy holzinger39.get_data() exported to CSV vs lavaan::HolzingerSwineford1939",
  n_rows_csv = nrow(hs), n_rows_lavaan = nrow(hs_r),
  same_columns = identical(colnames(hs), colnames(hs_r)),
  same_id_order = identical(as.integer(hs$id), as.integer(hs_r$id)),
  same_na_pattern = identical(unname(is.na(a)), unname(is.na(b))),
  n_missing_cells = sum(is.na(a)),
  missing_by_column = named(colSums(is.na(a))[colSums(is.na(a)) > 0]),
  max_abs_difference_numeric = max(abs(a - b), na.rm = TRUE),
  max_abs_difference_x1_x9 = max(abs(a[, paste0("x", 1:9)] - b[, paste0("x", 1:9)])),
  same_school = identical(as.character(hs$school), as.character(hs_r$school))
)

model <- "
  visual  =~ x1 + x2 + x3
  textual =~ x4 + x5 + x6
  speed   =~ x7 + x8 + x9
"
fit <- lavaan::cfa(model, data = hs)
fm_names <- c("npar", "fmin", "chisq", "df", "pvalue", "baseline.chisq", "baseline.df",
              "baseline.pvalue", "cfi", "tli", "nnfi", "rfi", "nfi", "ifi", "logl",
              "unrestricted.logl", "aic", "bic", "ntotal", "bic2", "rmsea", "rmsea.ci.lower",
              "rmsea.ci.upper", "rmsea.pvalue", "rmr", "srmr", "srmr_bentler", "gfi", "agfi")
fmv <- fitMeasures(fit)
fm <- named(unclass(fmv[intersect(fm_names, names(fmv))]))

pe <- parameterEstimates(fit)
ss <- standardizedSolution(fit)
pe_rows <- lapply(seq_len(nrow(pe)), function(i) list(
  lhs = pe$lhs[i], op = pe$op[i], rhs = pe$rhs[i], est = pe$est[i], se = pe$se[i],
  z = pe$z[i], pvalue = pe$pvalue[i], ci_lower = pe$ci.lower[i], ci_upper = pe$ci.upper[i]))
ss_rows <- lapply(seq_len(nrow(ss)), function(i) list(
  lhs = ss$lhs[i], op = ss$op[i], rhs = ss$rhs[i], est_std = ss$est.std[i], se = ss$se[i],
  z = ss$z[i], pvalue = ss$pvalue[i]))
load_std <- ss[ss$op == "=~", ]
std_loadings <- setNames(as.list(load_std$est.std), paste(load_std$lhs, load_std$rhs, sep = "=~"))

# the covariance matrix lavaan fits (ML: divided by N, not N - 1)
S <- lavInspect(fit, "sampstat")$cov
S_mat <- unclass(S)
out <- list(
  generated_by = "tests/reference/lavaan_cfa.R",
  versions = versions(c("lavaan", "jsonlite")),
  data_check = data_check,
  call = "lavaan::cfa('visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9', data = hs)",
  options = list(estimator = lavInspect(fit, "options")$estimator,
                 likelihood = lavInspect(fit, "options")$likelihood,
                 information = lavInspect(fit, "options")$information,
                 se = lavInspect(fit, "options")$se,
                 identification = "first loading of each factor fixed to 1 (std.lv = FALSE)",
                 nobs = lavInspect(fit, "nobs"),
                 converged = lavInspect(fit, "converged"),
                 iterations = lavInspect(fit, "iterations")),
  fit_measures = fm,
  standardized_loadings_std_all = std_loadings,
  parameter_estimates = pe_rows,
  standardized_solution = ss_rows,
  sample_cov_ml = lapply(seq_len(nrow(S_mat)), function(i) as.vector(S_mat[i, ])),
  sample_cov_names = colnames(S_mat),
  notes = c("chisq = N * F_ML with N = 301 (lavaan default likelihood = 'normal'), F_ML = log|Sigma| - log|S| + tr(S Sigma^-1) - p, S divided by N.",
            "srmr here is lavaan's 'srmr' (= srmr_bentler: residual correlations incl. the diagonal, no mean structure).",
            "rmsea CI is 90% (lavaan default).")
)
sink()
cat(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"), "\n")
