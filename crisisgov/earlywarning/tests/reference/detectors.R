# Reference outputs of the outbreak detectors, made with R's surveillance package (1.20).
#
#   Rscript crisisgov/earlywarning/tests/reference/detectors.R   (from the repository root;
#   Debian: apt-get install r-cran-surveillance)
#
# Writes, beside this script:
#   detectors_<data>.csv   the input series, in the layout `crisisgov detect` reads
#   detectors_cases.csv    one row per case: data set, method, options (R's names)
#   detectors_expected.csv per case, region and time point: expected, upperbound, alarm, score
# R does not return every column for every method; where it does not, the column is computed
# here from R's own definitions (see the comments at each method).

suppressMessages(library(surveillance))
stopifnot(packageVersion("surveillance") >= "1.20", packageVersion("surveillance") < "1.21")

args <- commandArgs(trailingOnly = FALSE)
script <- sub("--file=", "", args[grep("--file=", args)])
out_dir <- if (length(script)) dirname(script) else "."
num <- function(x) ifelse(is.na(x), "", trimws(formatC(x, digits = 11, format = "g")))
flag <- function(x) ifelse(is.na(x), "", as.integer(x))

# ---- the data sets ---------------------------------------------------------------------
data(salmNewport)    # weekly, dated (Mondays from 2004-01-05), 16 federal states
data(salmonella.agona)  # weekly, index-based disProg, 312 weeks
data(ha.sts)         # weekly, index-based, 12 Berlin districts

newport_obs <- cbind(total = rowSums(observed(salmNewport)),
                     Bavaria = observed(salmNewport)[, "Bavaria"])
newport <- sts(newport_obs, epoch = epoch(salmNewport), epochAsDate = TRUE, freq = 52)

agona <- disProg2sts(salmonella.agona)

ha_obs <- cbind(total = rowSums(observed(ha.sts)), mitt = observed(ha.sts)[, "mitt"])
ha_pop <- outer(round(300000 * (1 + 0.001 * seq_len(nrow(ha_obs)))), c(12, 1))
ha <- sts(ha_obs, start = c(2001, 1), freq = 52, population = ha_pop)

# A daily series is not shipped; a seeded seasonal Poisson series with two outbreaks stands in.
set.seed(20131)
days <- seq(as.Date("2019-01-01"), by = "1 day", length.out = 3 * 365 + 120)
lambda <- exp(1.2 + 0.5 * sin(2 * pi * seq_along(days) / 365.25) + 0.0002 * seq_along(days))
daily_counts <- rpois(length(days), lambda)
daily_counts[1130:1136] <- daily_counts[1130:1136] + c(3, 6, 9, 12, 9, 6, 3)
daily_counts[c(400, 401, 1150)] <- NA
daily <- sts(matrix(daily_counts, ncol = 1, dimnames = list(NULL, "total")),
             epoch = days, epochAsDate = TRUE, freq = 365,
             population = matrix(50000 + seq_along(days), ncol = 1))

write_input <- function(s, name, dated, population = FALSE) {
  rows <- list()
  for (j in seq_len(ncol(s))) {
    d <- data.frame(region = colnames(observed(s))[j], count = observed(s)[, j])
    if (dated) d <- cbind(date = format(epoch(s)), d) else d <- cbind(t = seq_len(nrow(s)), d)
    if (population) d$population <- population(s)[, j]
    rows[[j]] <- d
  }
  d <- do.call(rbind, rows)
  d$count <- ifelse(is.na(d$count), "", d$count)
  write.csv(d, file.path(out_dir, paste0("detectors_", name, ".csv")), row.names = FALSE,
            quote = FALSE)
}
write_input(newport, "salmnewport", dated = TRUE)
write_input(agona, "agona", dated = FALSE)
write_input(ha, "ha", dated = FALSE, population = TRUE)
write_input(daily, "daily", dated = TRUE, population = TRUE)
datasets <- list(salmnewport = newport, agona = agona, ha = ha, daily = daily)

# ---- the detectors, each giving expected/upperbound/alarm/score over its range --------------
run_ears <- function(s, j, control) {
  res <- earsC(s[, j], control = control)
  method <- if (is.null(control$method)) "C1" else control$method
  baseline <- if (is.null(control$baseline)) 7 else control$baseline
  minSigma <- if (is.null(control$minSigma)) 0 else control$minSigma
  range <- if (is.null(control$range)) {
    seq(baseline + switch(method, C1 = 1, C2 = 3, C3 = 5), nrow(s))
  } else control$range
  x <- as.vector(observed(s)[, j])
  # earsC returns only bounds and alarms; expected is the baseline mean and the score the
  # statistic R compares: C1/C2 (x - mean) / max(sd, minSigma), C3 the two lagged C2 excesses.
  lag <- if (method == "C1") 1:baseline else 3:(baseline + 2)
  stat <- function(t) {
    ref <- x[t - lag]
    c(mean = mean(ref), sd = max(sd(ref), minSigma))
  }
  st <- sapply(range, stat)
  expected <- st["mean", ]
  score <- (x[range] - st["mean", ]) / st["sd", ]
  if (method == "C3") {
    c2 <- function(t) (x[t] - stat(t)["mean"]) / stat(t)["sd"]
    score <- sapply(range, function(t) max(0, c2(t - 2) - 1) + max(0, c2(t - 1) - 1))
  }
  data.frame(t = range, expected = expected, upperbound = as.vector(upperbound(res)),
             alarm = as.vector(alarms(res)), score = score)
}

run_cusum <- function(s, j, control) {
  res <- algo.cusum(sts2disProg(s[, j]), control = control)
  data.frame(t = control$range, expected = res$control$m, upperbound = res$upperbound,
             alarm = res$alarm, score = res$cusum)
}

run_farrington <- function(s, j, control) {
  res <- algo.farrington(sts2disProg(s[, j]), control = control)
  range <- res$control$range
  x <- as.vector(observed(s)[range, j])
  # control$pd holds, per point, pnorm of the observation and the median of the normal on the
  # transformed scale back-transformed, which is the GLM's prediction mu0: the expected value.
  # The score is the X that R compares with 1 ((x - mu0) / (U - mu0), or 0 under limit54).
  mu0 <- res$control$pd[, 2]
  U <- as.vector(res$upperbound)
  limit <- if (is.null(control$limit54)) c(5, 4) else control$limit54
  enough <- sapply(range, function(k) sum(observed(s)[(k - limit[2] + 1):k, j]) >= limit[1])
  score <- ifelse(enough, (x - mu0) / (U - mu0), 0)
  data.frame(t = range, expected = mu0, upperbound = U, alarm = as.vector(res$alarm),
             score = score)
}

run_flexible <- function(s, j, control) {
  res <- farringtonFlexible(s[, j], control = control)
  range <- if (is.null(control$range)) {
    b <- if (is.null(control$b)) 5 else control$b
    w <- if (is.null(control$w)) 3 else control$w
    seq(s@freq * b + w + 1, nrow(s))
  } else control$range
  data.frame(t = range, expected = as.vector(res@control$expected),
             upperbound = as.vector(upperbound(res)), alarm = as.vector(alarms(res)),
             score = as.vector(res@control$score))
}

# ---- the cases ------------------------------------------------------------------------------
# options are written with R's names, the way `crisisgov detect --set` takes them.
cases <- list(
  list("ears_c1_newport", "salmnewport", "ears-c1", list(method = "C1")),
  list("ears_c2_newport", "salmnewport", "ears-c2", list(method = "C2", range = 400:528)),
  list("ears_c3_newport", "salmnewport", "ears-c3", list(method = "C3", range = 400:528)),
  list("ears_c1_agona_b14", "agona", "ears-c1", list(method = "C1", baseline = 14, alpha = 0.05)),
  list("ears_c2_ha_minsigma", "ha", "ears-c2", list(method = "C2", minSigma = 1, alpha = 0.01, range = 200:290)),
  list("ears_c3_ha", "ha", "ears-c3", list(method = "C3", baseline = 10, minSigma = 0.5, range = 200:290)),
  list("ears_c3_daily", "daily", "ears-c3", list(method = "C3", range = 1100:1215)),
  list("ears_c1_daily", "daily", "ears-c1", list(method = "C1", baseline = 28, range = 1000:1215)),
  list("cusum_agona", "agona", "cusum", list(range = 209:312)),
  list("cusum_agona_anscombe", "agona", "cusum",
       list(range = 105:312, trans = "anscombe", k = 0.5, h = 4)),
  list("cusum_ha_rossi", "ha", "cusum", list(range = 150:290, trans = "rossi", m = 3)),
  list("cusum_ha_anscombe2nd", "ha", "cusum", list(range = 150:290, trans = "anscombe2nd")),
  list("cusum_ha_negbin", "ha", "cusum",
       list(range = 200:290, trans = "pearsonNegBin", alpha = 0.3, k = 0.8, h = 3)),
  list("cusum_newport", "salmnewport", "cusum", list(range = 420:528)),
  list("cusum_daily_none", "daily", "cusum", list(range = 1100:1215, trans = "none", h = 40)),
  # m = "glm": a seasonal Poisson GLM on the counts before the range gives the in-control mean.
  list("cusum_agona_glm", "agona", "cusum", list(range = 209:312, m = "glm")),
  list("cusum_ha_glm", "ha", "cusum", list(range = 200:290, m = "glm", trans = "anscombe")),
  list("cusum_daily_glm", "daily", "cusum",
       list(range = 1110:1155, m = "glm", trans = "rossi", h = 5)),
  list("farrington_agona", "agona", "farrington", list()),
  list("farrington_ha", "ha", "farrington",
       list(b = 3, w = 2, alpha = 0.01, powertrans = "none", range = 170:290)),
  list("farrington_ha_plain", "ha", "farrington",
       list(reweight = FALSE, trend = FALSE, powertrans = "1/2", limit54 = c(3, 2),
            range = 270:290)),
  list("farrington_newport", "salmnewport", "farrington", list(range = 420:528)),
  list("farrington_daily", "daily", "farrington", list(b = 2, w = 3, range = 1160:1215)),
  # The population offset: R 1.20 takes it only as algo.farrington's fitFun.
  list("farrington_ha_popoffset", "ha", "farrington",
       list(fitFun = "algo.farrington.fitGLM.populationOffset", b = 3, w = 2, range = 200:290)),
  list("farrington_ha_popoffset_none", "ha", "farrington",
       list(fitFun = "algo.farrington.fitGLM.populationOffset", alpha = 0.01,
            powertrans = "none", limit54 = c(3, 2), range = 270:290)),
  # Where the trend fit does not converge (mitt at 218 and 229) R falls back on a fit without the
  # offset; without reweighting it predicts from that one.
  list("farrington_ha_popoffset_noreweight", "ha", "farrington",
       list(fitFun = "algo.farrington.fitGLM.populationOffset", reweight = FALSE, b = 3,
            w = 2, range = 205:230)),
  # Without reweighting R's glm() leaves missing reference counts out (b = 2: no trend check).
  list("farrington_daily_popoffset", "daily", "farrington",
       list(fitFun = "algo.farrington.fitGLM.populationOffset", reweight = FALSE, b = 2,
            w = 3, range = 1125:1160)),
  list("flexible_newport", "salmnewport", "farrington-flexible", list()),
  list("flexible_newport_noufaily", "salmnewport", "farrington-flexible",
       list(noPeriods = 10, pastWeeksNotIncluded = 26, thresholdMethod = "nbPlugin",
            range = 400:528)),
  list("flexible_newport_noreweight", "salmnewport", "farrington-flexible",
       list(reweight = FALSE, range = 420:528)),
  list("flexible_agona", "agona", "farrington-flexible", list()),
  list("flexible_agona_notrend", "agona", "farrington-flexible", list(trend = FALSE, b = 3)),
  list("flexible_agona_muan", "agona", "farrington-flexible",
       list(thresholdMethod = "muan", b = 4, w = 2, alpha = 0.01)),
  list("flexible_agona_nbplugin", "agona", "farrington-flexible",
       list(thresholdMethod = "nbPlugin", noPeriods = 10, pastWeeksNotIncluded = 26)),
  list("flexible_ha", "ha", "farrington-flexible", list()),
  list("flexible_ha_popoffset", "ha", "farrington-flexible",
       list(populationOffset = TRUE, powertrans = "none", b = 3, w = 4)),
  list("flexible_ha_noreweight", "ha", "farrington-flexible",
       list(reweight = FALSE, trend = FALSE, powertrans = "1/2", limit54 = c(2, 3), b = 3,
            range = 200:290)),
  list("flexible_ha_weights", "ha", "farrington-flexible",
       list(weightsThreshold = 1, pThresholdTrend = 0.2, alpha = 0.1, noPeriods = 4,
            pastWeeksNotIncluded = 6, range = 270:290)),
  list("flexible_daily", "daily", "farrington-flexible",
       list(b = 2, w = 3, range = 1080:1215)),
  list("flexible_daily_noufaily", "daily", "farrington-flexible",
       list(b = 3, w = 5, noPeriods = 5, pastWeeksNotIncluded = 7, thresholdMethod = "nbPlugin",
            populationOffset = TRUE, range = 1150:1215))
)

runners <- list(`ears-c1` = run_ears, `ears-c2` = run_ears, `ears-c3` = run_ears,
                cusum = run_cusum, farrington = run_farrington,
                `farrington-flexible` = run_flexible)
option_text <- function(control) {
  control$method <- NULL
  if (!length(control)) return("")
  parts <- mapply(function(name, value) {
    if (name == "range") value <- paste0(min(value), ":", max(value))
    paste0(name, "=", paste(value, collapse = ","))
  }, names(control), control)
  paste(parts, collapse = ";")
}

case_rows <- list()
result_rows <- list()
for (case in cases) {
  name <- case[[1]]; data_name <- case[[2]]; method <- case[[3]]; control <- case[[4]]
  s <- datasets[[data_name]]
  message(name)
  case_rows[[name]] <- data.frame(case = name, data = data_name, method = method,
                                  options = option_text(control))
  for (j in seq_len(ncol(s))) {
    r <- suppressWarnings(runners[[method]](s, j, control))
    result_rows[[paste(name, j)]] <- data.frame(
      case = name, region = colnames(observed(s))[j], t = r$t, expected = num(r$expected),
      upperbound = num(r$upperbound), alarm = flag(r$alarm), score = num(r$score))
  }
}
write.csv(do.call(rbind, case_rows), file.path(out_dir, "detectors_cases.csv"),
          row.names = FALSE)
write.csv(do.call(rbind, result_rows), file.path(out_dir, "detectors_expected.csv"),
          row.names = FALSE, quote = FALSE)
