#!/usr/bin/env Rscript
# Reference values for pipeline.stats.weights beyond tests/reference/survey_weights.R:
# cluster designs with and without fpc, a stratified cluster design, post-stratification on
# cells different from the design strata and on cross-classified cells, raking on three margins
# (default and tight convergence), proportions of a factor (svymean on a factor), and missing
# values (na.rm = TRUE), all with R's survey package on its California API data (data(api)).
#
# Usage (from the repository root):
#   Rscript tests/reference/weights_extra.R tests/reference/data > tests/reference/weights_extra.json
#
# The argument is a directory; the script writes there the data it uses (survey package, GPL),
# so that the Python tests read the same rows without R:
#   apistrat.csv       200 x 39, stratified sample of schools by stype
#   apiclus1.csv       183 x 39, one-stage cluster sample of school districts (dnum)
#   apipop_counts.csv  population counts of apipop (6194 schools) by stype x sch.wide x awards
#                      (columns stype, sch.wide, awards, Freq); every margin used here sums it
# written with write.csv(..., row.names = FALSE, na = ""), factors as their labels.
# Derived variables (made again in Python from api00):
#   hi700   = as.numeric(api00 > 700)
#   api_band = factor(low: api00 < 600, mid: 600 <= api00 < 750, high: api00 >= 750)
suppressPackageStartupMessages({
  library(survey)
  library(jsonlite)
})
sink(stderr())

args <- commandArgs(trailingOnly = TRUE)
outdir <- if (length(args) >= 1) args[1] else "tests/reference/data"
versions <- function(pkgs) c(list(R = R.version.string),
                              setNames(lapply(pkgs, function(p) as.character(packageVersion(p))), pkgs))

data(api, package = "survey")
write.csv(apistrat, file.path(outdir, "apistrat.csv"), row.names = FALSE, na = "")
write.csv(apiclus1, file.path(outdir, "apiclus1.csv"), row.names = FALSE, na = "")
popc <- as.data.frame(table(stype = apipop$stype, sch.wide = apipop$sch.wide, awards = apipop$awards))
write.csv(popc, file.path(outdir, "apipop_counts.csv"), row.names = FALSE)

band <- function(x) factor(ifelse(x < 600, "low", ifelse(x < 750, "mid", "high")),
                           levels = c("low", "mid", "high"))
for (nm in c("apistrat", "apiclus1")) {
  d <- get(nm)
  d$hi700 <- as.numeric(d$api00 > 700)
  d$api_band <- band(d$api00)
  d$w_equal <- 1
  assign(nm, d)
}

margin <- function(var) {
  m <- aggregate(popc$Freq, by = list(popc[[var]]), FUN = sum)
  names(m) <- c(var, "Freq")
  m
}
pop.types <- margin("stype")        # E 4421, H 755, M 1018
pop.schwide <- margin("sch.wide")   # No 1072, Yes 5122
pop.awards <- margin("awards")      # No 2027, Yes 4167
pop.cells <- aggregate(Freq ~ stype + sch.wide, data = popc, FUN = sum)
stopifnot(pop.types$Freq == c(4421, 755, 1018), pop.schwide$Freq == c(1072, 5122),
          pop.awards$Freq == c(2027, 4167), sum(pop.cells$Freq) == 6194)
tight <- list(maxit = 1000, epsilon = 1e-12)   # epsilon < 1 is relative to the sum of weights

# svymean of one term (numeric or factor): estimates, SE, deff (TRUE) and deff = "replace"
est <- function(design, var, na.rm = FALSE) {
  f <- as.formula(paste0("~", var))
  m1 <- svymean(f, design, deff = TRUE, na.rm = na.rm)
  m2 <- svymean(f, design, deff = "replace", na.rm = na.rm)
  nm <- names(coef(m1))
  list(names = nm, mean = unname(coef(m1)), se = unname(as.vector(SE(m1))),
       deff = unname(as.vector(deff(m1))), deff_replace = unname(as.vector(deff(m2))))
}
case <- function(call, design, vars, na.rm = FALSE, weights = FALSE) {
  out <- list(call = call)
  for (v in vars) out[[v]] <- est(design, v, na.rm)
  w <- weights(design)
  out$weights_sum <- sum(w)
  if (weights) out$weights <- unname(w)   # in row order of the CSV
  out
}

# ---------------------------------------------------------------- designs
dclus1 <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1)
dclus1_wr <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1)
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)
dstrat_w <- svydesign(id = ~1, weights = ~pw, data = apistrat)
dstrat_eq <- svydesign(id = ~1, weights = ~w_equal, data = apistrat)
dstrat_clus <- svydesign(id = ~dnum, strata = ~stype, weights = ~pw, data = apistrat, nest = TRUE)

vars <- c("api00", "hi700", "api_band")
cases <- list(
  clus1_wr = case("svydesign(id = ~dnum, weights = ~pw, data = apiclus1)", dclus1_wr, vars),
  clus1_wr_ps_stype = case("postStratify(dclus1_wr, ~stype, pop.types)",
                           postStratify(dclus1_wr, ~stype, pop.types), vars),
  clus1_fpc = case("svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1)", dclus1, vars),
  clus1_fpc_ps_stype = case("postStratify(dclus1, ~stype, pop.types)",
                            postStratify(dclus1, ~stype, pop.types), vars),
  clus1_fpc_rake = case("rake(dclus1, list(~stype, ~sch.wide), list(pop.types, pop.schwide))  # default control: maxit = 10, epsilon = 1",
                        rake(dclus1, list(~stype, ~sch.wide), list(pop.types, pop.schwide)), vars,
                        weights = TRUE),
  clus1_fpc_rake_tight = case("rake(dclus1, list(~stype, ~sch.wide), list(pop.types, pop.schwide), control = list(maxit = 1000, epsilon = 1e-12))",
                              rake(dclus1, list(~stype, ~sch.wide), list(pop.types, pop.schwide), control = tight),
                              vars),
  strat_fpc = case("svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)",
                   dstrat, vars),
  strat_fpc_ps_schwide = case("postStratify(dstrat, ~sch.wide, pop.schwide)",
                              postStratify(dstrat, ~sch.wide, pop.schwide), vars),
  strat_clus = case("svydesign(id = ~dnum, strata = ~stype, weights = ~pw, data = apistrat, nest = TRUE)",
                    dstrat_clus, vars),
  strat_clus_ps_awards = case("postStratify(dstrat_clus, ~awards, pop.awards)",
                              postStratify(dstrat_clus, ~awards, pop.awards), vars),
  w_ps_stype = case("postStratify(svydesign(id = ~1, weights = ~pw, data = apistrat), ~stype, pop.types)",
                    postStratify(dstrat_w, ~stype, pop.types), vars),
  w_ps_cells = case("postStratify(svydesign(id = ~1, weights = ~pw, data = apistrat), ~stype + sch.wide, pop.cells)",
                    postStratify(dstrat_w, ~stype + sch.wide, pop.cells), vars, weights = TRUE),
  w_rake_tight = case("rake(svydesign(id = ~1, weights = ~pw, data = apistrat), list(~stype, ~sch.wide), list(pop.types, pop.schwide), control = tight)",
                      rake(dstrat_w, list(~stype, ~sch.wide), list(pop.types, pop.schwide), control = tight),
                      vars),
  eq_rake3 = case("rake(svydesign(id = ~1, weights = ~w_equal, data = apistrat), list(~stype, ~sch.wide, ~awards), list(pop.types, pop.schwide, pop.awards))  # default control",
                  rake(dstrat_eq, list(~stype, ~sch.wide, ~awards), list(pop.types, pop.schwide, pop.awards)),
                  vars, weights = TRUE),
  eq_rake3_tight = case("rake(svydesign(id = ~1, weights = ~w_equal, data = apistrat), list(~stype, ~sch.wide, ~awards), list(pop.types, pop.schwide, pop.awards), control = tight)",
                        rake(dstrat_eq, list(~stype, ~sch.wide, ~awards), list(pop.types, pop.schwide, pop.awards), control = tight),
                        vars, weights = TRUE)
)

# ---------------------------------------------------------------- missing values (na.rm = TRUE)
na_cases <- list(
  clus1_fpc_avg_ed = case("svymean(~avg.ed, dclus1, na.rm = TRUE, deff = TRUE)", dclus1, "avg.ed", na.rm = TRUE),
  clus1_fpc_ps_avg_ed = case("svymean(~avg.ed, postStratify(dclus1, ~stype, pop.types), na.rm = TRUE, deff = TRUE)",
                             postStratify(dclus1, ~stype, pop.types), "avg.ed", na.rm = TRUE),
  clus1_fpc_rake_tight_avg_ed = case("svymean(~avg.ed, rake(dclus1, list(~stype, ~sch.wide), list(pop.types, pop.schwide), control = tight), na.rm = TRUE, deff = TRUE)",
                                     rake(dclus1, list(~stype, ~sch.wide), list(pop.types, pop.schwide), control = tight),
                                     "avg.ed", na.rm = TRUE),
  strat_fpc_acs46 = case("svymean(~acs.46, dstrat, na.rm = TRUE, deff = TRUE)", dstrat, "acs.46", na.rm = TRUE),
  w_ps_stype_acs46 = case("svymean(~acs.46, postStratify(dstrat_w, ~stype, pop.types), na.rm = TRUE, deff = TRUE)",
                          postStratify(dstrat_w, ~stype, pop.types), "acs.46", na.rm = TRUE)
)
lw <- svymean(~acs.46 + avg.ed, postStratify(dclus1, ~stype, pop.types), na.rm = TRUE, deff = TRUE)
na_cases$clus1_fpc_ps_listwise <- list(
  call = "svymean(~acs.46 + avg.ed, postStratify(dclus1, ~stype, pop.types), na.rm = TRUE, deff = TRUE)",
  names = names(coef(lw)), mean = unname(coef(lw)), se = unname(as.vector(SE(lw))),
  deff = unname(as.vector(deff(lw))),
  n = sum(complete.cases(apiclus1[, c("acs.46", "avg.ed")])))
na_cases$counts <- list(apiclus1_avg_ed = sum(!is.na(apiclus1$avg.ed)),
                        apistrat_acs46 = sum(!is.na(apistrat$acs.46)))

out <- list(
  generated_by = "tests/reference/weights_extra.R",
  versions = versions(c("survey", "jsonlite")),
  data = list(files = c("apistrat.csv", "apiclus1.csv", "apipop_counts.csv"),
              derived = c("hi700 = as.numeric(api00 > 700)",
                          "api_band = factor(ifelse(api00 < 600, 'low', ifelse(api00 < 750, 'mid', 'high')), levels = c('low', 'mid', 'high'))",
                          "w_equal = 1"),
              pop_types = setNames(as.list(pop.types$Freq), pop.types$stype),
              pop_schwide = setNames(as.list(pop.schwide$Freq), pop.schwide$sch.wide),
              pop_awards = setNames(as.list(pop.awards$Freq), pop.awards$awards),
              pop_cells = list(stype = as.character(pop.cells$stype),
                               sch.wide = as.character(pop.cells$sch.wide), Freq = pop.cells$Freq),
              tight = "control = list(maxit = 1000, epsilon = 1e-12)"),
  cases = cases,
  na_rm = na_cases,
  notes = c(
    "Each estimate: svymean(~var, design, deff = TRUE) for mean, se, deff; svymean(~var, design, deff = 'replace') for deff_replace. For the factor api_band the vectors are per level (names).",
    "weights: weights(design) in the row order of the CSV, only where a case sets weights = TRUE.",
    "nest = TRUE: district numbers are PSU labels within each school type.")
)
sink()
cat(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"), "\n")
