# Proportional-odds test (ordinal::nominal_test) pinned in tests/test_stats_models.py:
#  * wine: rating ~ temp + contact (R's ordinal::wine)
#  * the demo's overall-satisfaction model, on the clean responses of the bundled demo
#    (make demo; outputs/demo/clean/responses.parquet written to CSV with the columns below:
#    overall_sat, community, gender, age_band, tenure, income_band, years_lived, household_size;
#    income_band 不愿透露 is missing, so 558 complete rows)
# Run: Rscript tests/reference/ordinal_nominal_test.R /tmp/demo_po.csv
library(ordinal)
m <- clm(rating ~ temp + contact, data = wine)
print(logLik(m)); print(nominal_test(m))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
d$overall_sat <- factor(d$overall_sat, ordered = TRUE)
for (v in c("community", "gender", "age_band", "tenure", "income_band")) d[[v]] <- factor(d[[v]])
m2 <- clm(overall_sat ~ community + gender + age_band + tenure + income_band + years_lived + household_size, data = d)
print(logLik(m2)); print(nominal_test(m2), digits = 10)
