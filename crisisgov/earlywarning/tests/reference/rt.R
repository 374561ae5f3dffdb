# Reference fixtures for crisisgov/earlywarning/algorithms/rt.py, made by R's EpiEstim 2.2.
#
# Run from this folder:  Rscript rt.R   (Debian: apt-get install r-cran-epiestim)
# It writes, for each data set shipped with EpiEstim, its incidence (rt_input_*.csv, in the
# format `crisisgov rt --input` reads), its serial interval when it has one (rt_si_*.csv,
# columns k and w), and estimate_R's table for each case (rt_<case>.csv), plus discr_si for a
# few (mean, sd) pairs (rt_discr_si.csv). All windows are EpiEstim's default sliding windows.
Sys.setenv(TZ = "UTC")  # else R asks timedatectl, absent in containers, and warns
suppressPackageStartupMessages(library(EpiEstim))
stopifnot(packageVersion("EpiEstim") >= "2.2")
options(warn = 1)

columns <- c("t_start", "t_end", "mean", "std", "q0.025", "q0.05", "q0.25", "median",
             "q0.75", "q0.95", "q0.975")

write_fixture <- function(x, name) {
  write.csv(x, name, row.names = FALSE, na = "")
}

sliding <- function(days, window) {
  t_start <- seq(2, days - window + 1)
  list(t_start = t_start, t_end = t_start + window - 1)
}

# One case: estimate_R on `incid`, its R table under the platform's column names.
case <- function(name, incid, method, window = 7, ...) {
  days <- if (is.data.frame(incid)) nrow(incid) else length(incid)
  windows <- sliding(days, window)
  config <- make_config(c(list(t_start = windows$t_start, t_end = windows$t_end), list(...)))
  result <- suppressWarnings(estimate_R(incid, method = method, config = config))
  table <- result$R[, 1:11]
  names(table) <- columns
  write_fixture(table, paste0("rt_", name, ".csv"))
}

write_si <- function(si, name) {
  write_fixture(data.frame(k = seq_along(si) - 1, w = si), paste0("rt_si_", name, ".csv"))
}

data("Flu2009", "Measles1861", "SARS2003", package = "EpiEstim")

# Flu2009: a data frame with dates and I.
flu <- Flu2009$incidence
write_fixture(data.frame(date = flu$dates, count = flu$I), "rt_input_flu2009.csv")
write_si(Flu2009$si_distr, "flu2009")
case("flu2009_nonparametric", flu, "non_parametric_si", si_distr = Flu2009$si_distr)
case("flu2009_parametric", flu, "parametric_si", mean_si = 2.6, std_si = 1.5)
case("flu2009_parametric_window14", flu, "parametric_si", window = 14,
     mean_si = 2.6, std_si = 1.5)
case("flu2009_nonparametric_prior", flu, "non_parametric_si", si_distr = Flu2009$si_distr,
     mean_prior = 2, std_prior = 1)

# Flu2009 split into local and imported cases, the first week's partly imported, a fixed split.
imported <- c(flu$I[1], floor(flu$I[2:7] / 3), rep(0, nrow(flu) - 7))
split <- data.frame(local = flu$I - imported, imported = imported)
write_fixture(data.frame(t = seq_len(nrow(flu)), local = split$local, imported = split$imported),
              "rt_input_flu2009_imported.csv")
case("flu2009_imported", split, "parametric_si", mean_si = 2.6, std_si = 1.5)

# Measles1861: a plain count vector, as in the vignette.
measles <- Measles1861$incidence
write_fixture(data.frame(t = seq_along(measles), count = measles), "rt_input_measles1861.csv")
case("measles1861_parametric", measles, "parametric_si", mean_si = 14.9, std_si = 3.9)

# SARS2003: a count vector with its own serial interval.
sars <- SARS2003$incidence
write_fixture(data.frame(t = seq_along(sars), count = sars), "rt_input_sars2003.csv")
write_si(SARS2003$si_distr, "sars2003")
case("sars2003_nonparametric", sars, "non_parametric_si", si_distr = SARS2003$si_distr)
case("sars2003_nonparametric_window14", sars, "non_parametric_si", window = 14,
     si_distr = SARS2003$si_distr)

# discr_si over lags 0..40 for a few (mean, sd) pairs.
pairs <- list(c(2.6, 1.5), c(8.4, 3.8), c(14.9, 3.9), c(5, 5), c(1.5, 0.4))
discr <- do.call(rbind, lapply(pairs, function(p) {
  data.frame(mean = p[1], sd = p[2], k = 0:40, w = discr_si(0:40, p[1], p[2]))
}))
write_fixture(discr, "rt_discr_si.csv")
