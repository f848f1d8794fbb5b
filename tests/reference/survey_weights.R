#!/usr/bin/env Rscript
# Reference values for survey weighting with R's survey package: post-stratification,
# raking, weighted means with linearised SEs and design effects, on the California
# Academic Performance Index data shipped with survey (data(api)).
#
# Usage (from the repository root):
#   Rscript tests/reference/survey_weights.R /tmp > tests/reference/survey_weights.json
#
# The argument is a directory; the script writes there the samples it uses, so that
# Python can read the same rows without R:
#   <dir>/apistrat.csv  (200 x 39, stratified sample by stype)
#   <dir>/apiclus1.csv  (183 x 39, one-stage cluster sample of school districts)
# written with write.csv(..., row.names = FALSE, na = ""); factors as their labels.
# Population margins (from apipop, 6194 schools) are recorded in the JSON.
# The binary indicator is hi700 = as.numeric(api00 > 700).
suppressPackageStartupMessages({
  library(survey)
  library(jsonlite)
})
sink(stderr())

args <- commandArgs(trailingOnly = TRUE)
outdir <- if (length(args) >= 1) args[1] else "/tmp"
named <- function(v) as.list(v)
versions <- function(pkgs) c(list(R = R.version.string),
                              setNames(lapply(pkgs, function(p) as.character(packageVersion(p))), pkgs))

data(api, package = "survey")
stopifnot(!anyDuplicated(apistrat$snum), !anyDuplicated(apiclus1$snum))
write.csv(apistrat, file.path(outdir, "apistrat.csv"), row.names = FALSE, na = "")
write.csv(apiclus1, file.path(outdir, "apiclus1.csv"), row.names = FALSE, na = "")
apistrat$hi700 <- as.numeric(apistrat$api00 > 700)
apiclus1$hi700 <- as.numeric(apiclus1$api00 > 700)
apistrat$w_equal <- 1
apiclus1$w_equal <- 1

pop.types <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
pop.schwide <- data.frame(sch.wide = c("No", "Yes"), Freq = c(1072, 5122))
stopifnot(all(as.vector(table(apipop$stype)) == pop.types$Freq),
          all(as.vector(table(apipop$sch.wide)) == pop.schwide$Freq))

est <- function(design, var) {
  f <- as.formula(paste0("~", var))
  m1 <- svymean(f, design, deff = TRUE)
  m2 <- svymean(f, design, deff = "replace")
  list(mean = unname(coef(m1)), se = as.vector(SE(m1)),
       deff = unname(deff(m1)), deff_replace = unname(deff(m2)))
}
wsum <- function(design, ids) {
  w <- weights(design)
  list(sum = sum(w), min = min(w), max = max(w), mean = mean(w),
       n = length(w), n_distinct = length(unique(round(w, 8))),
       kish_deff_weights = length(w) * sum(w^2) / sum(w)^2,
       weights_by_snum = setNames(as.list(w), as.character(ids)))
}
summarise <- function(design, call, ids) {
  list(call = call,
       api00 = est(design, "api00"),
       hi700 = est(design, "hi700"),
       weights = wsum(design, ids))
}
tight <- list(maxit = 1000, epsilon = 1e-12)   # epsilon < 1 is relative to sum of weights

designs_strat <- list(
  stratified_fpc = list(
    call = "svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)",
    d = svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)),
  weights_only = list(
    call = "svydesign(id = ~1, weights = ~pw, data = apistrat)",
    d = svydesign(id = ~1, weights = ~pw, data = apistrat)),
  equal_weights = list(
    call = "svydesign(id = ~1, weights = ~w_equal, data = apistrat)  # w_equal = 1 for every row",
    d = svydesign(id = ~1, weights = ~w_equal, data = apistrat))
)
strat_out <- list()
for (nm in names(designs_strat)) {
  d <- designs_strat[[nm]]$d; cl <- designs_strat[[nm]]$call
  ps <- postStratify(d, ~stype, pop.types)
  rk <- rake(d, list(~stype, ~sch.wide), list(pop.types, pop.schwide))
  rkt <- rake(d, list(~stype, ~sch.wide), list(pop.types, pop.schwide), control = tight)
  strat_out[[nm]] <- list(
    design = summarise(d, cl, apistrat$snum),
    postStratify_stype = summarise(ps, paste0("postStratify(", nm, ", ~stype, pop.types)"), apistrat$snum),
    rake_stype_schwide = summarise(rk, paste0("rake(", nm, ", list(~stype, ~sch.wide), list(pop.types, pop.schwide))  # default control: maxit = 10, epsilon = 1"), apistrat$snum),
    rake_stype_schwide_tight = summarise(rkt, paste0("rake(", nm, ", list(~stype, ~sch.wide), list(pop.types, pop.schwide), control = list(maxit = 1000, epsilon = 1e-12))"), apistrat$snum)
  )
  strat_out[[nm]]$rake_margins_default <- list(
    stype = named(svytable(~stype, rk)), sch.wide = named(svytable(~sch.wide, rk)))
  strat_out[[nm]]$rake_margins_tight <- list(
    stype = named(svytable(~stype, rkt)), sch.wide = named(svytable(~sch.wide, rkt)))
}

dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
tot <- svytotal(~enroll, dclus1)
clus_out <- list(
  design = summarise(dclus1, "svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1)", apiclus1$snum),
  enroll_total = list(call = "svytotal(~enroll, dclus1)", total = unname(coef(tot)), se = as.vector(SE(tot))),
  n_clusters = length(unique(apiclus1$dnum)), fpc_value = unique(apiclus1$fpc),
  postStratify_stype = summarise(postStratify(dclus1, ~stype, pop.types),
                                 "postStratify(dclus1, ~stype, pop.types)", apiclus1$snum),
  rake_stype_schwide = summarise(rake(dclus1, list(~stype, ~sch.wide), list(pop.types, pop.schwide)),
                                 "rake(dclus1, list(~stype, ~sch.wide), list(pop.types, pop.schwide))", apiclus1$snum)
)

out <- list(
  generated_by = "tests/reference/survey_weights.R",
  versions = versions(c("survey", "jsonlite")),
  data = list(apistrat_csv = "apistrat.csv (200 rows)", apiclus1_csv = "apiclus1.csv (183 rows)",
              indicator = "hi700 = as.numeric(api00 > 700)",
              population_N = nrow(apipop),
              pop_stype = named(setNames(pop.types$Freq, pop.types$stype)),
              pop_sch_wide = named(setNames(pop.schwide$Freq, pop.schwide$sch.wide)),
              population_mean_api00 = mean(apipop$api00),
              population_share_hi700 = mean(apipop$api00 > 700)),
  apistrat = strat_out,
  apiclus1 = clus_out,
  notes = c(
    "Linearised SE (svyrecvar): with-replacement between PSUs within strata, times (1 - n_h/N_h) when fpc is given; post-stratification/raking replace the scores by their residuals from the post-stratum (for raking: each margin in turn) means before the variance sum.",
    "deff = TRUE: v / (svyvar(x) * (N - n) / (N * n)), N = sum of weights, n = number of rows; deff = 'replace': v / (svyvar(x) / n). svyvar is the weighted variance with factor n/(n-1).",
    "rake(): each iteration post-stratifies on every margin in turn; it stops when the largest absolute change of the joint weighted table (stype x sch.wide) between iterations is < epsilon (default 1, i.e. one school; epsilon < 1 is multiplied by the sum of weights), or after maxit = 10 iterations. The last margin is then exact and earlier ones may be off by up to about epsilon; compare with *_tight for a converged raking.",
    "deff = TRUE is null (Inf/NaN) for the unadjusted equal_weights design: there the weights sum to n, so the finite-population factor (N - n)/N is 0.",
    "pw in the shipped data is stored with float32 precision (e.g. 44.2099990844727), so design weights sum to 6193.99995803833, not 6194; post-stratified and raked weights sum to 6194 exactly.",
    "postStratify by stype on the stratified (by stype) design leaves the weights unchanged (pw = N_h / n_h already); the SE changes only if the design had no strata.")
)
sink()
cat(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"), "\n")
