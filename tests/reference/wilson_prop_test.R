# Wilson score intervals of a proportion, as the stats stage's item_satisfaction table gives them
# (top2_ci95_low/high, in percent). R: prop.test without continuity correction.
for (x in list(c(264, 600), c(0, 12), c(12, 12), c(7, 40))) {
  ci <- prop.test(x[1], x[2], correct = FALSE)$conf.int
  cat(sprintf("%d %d %.10f %.10f\n", x[1], x[2], 100 * ci[1], 100 * ci[2]))
}
# 264 600 40.0787904235 47.9975499886
# 0 12 0.0000000000 24.2494006655
# 12 12 75.7505993345 100.0000000000
# 7 40 8.7454137460 31.9499903318
