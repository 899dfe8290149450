#!/usr/bin/env Rscript
# R's forecast package on the bench's series, with the definitions of
# ../shared/anchors/r_reference.R (same hold-out, MASE by lag-M naive, sMAPE with 0/0 = 0,
# forecasts clipped at 0) plus what that script does not report: RMSSE and the coverage of
# R's own forecast() intervals at 50/80/90/95% (croston has none: NA).
# Usage: Rscript bench/r_forecast.R series.csv H M out.csv [models]
#   models: comma list of snaive,ets,arima,theta,mstl,croston (default all)
suppressMessages(library(forecast))
args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 4) stop("usage: r_forecast.R series.csv H M out.csv [models]")
h <- as.integer(args[2]); m <- as.integer(args[3]); out <- args[4]
models <- if (length(args) >= 5) strsplit(args[5], ",")[[1]] else c("snaive","ets","arima","theta","mstl","croston")
levels <- c(50, 80, 90, 95)
d <- read.csv(args[1], colClasses = c("character","character","numeric"))
d <- d[order(d$series_id, d$date), ]
fit <- function(model, y) switch(model,
  snaive  = snaive(y, h = h, level = levels),
  ets     = forecast(ets(y), h = h, level = levels),
  arima   = forecast(auto.arima(y), h = h, level = levels),
  theta   = thetaf(y, h = h, level = levels),
  mstl    = forecast(mstl(if (m == 7 && length(y) > 2 * 365) msts(as.numeric(y), seasonal.periods = c(7, 365.25)) else y), h = h, level = levels),
  croston = croston(y, h = h))
cover <- function(fc, k, test) {
  if (is.null(fc$lower)) return(NA_real_)
  lo <- pmax(as.numeric(fc$lower[, k]), 0); hi <- pmax(as.numeric(fc$upper[, k]), 0)
  mean(test >= lo & test <= hi)
}
rows <- list()
for (sid in unique(d$series_id)) {
  v <- d$y[d$series_id == sid]
  n <- length(v); train <- v[1:(n - h)]; test <- v[(n - h + 1):n]
  y <- ts(train, frequency = m)
  scale <- mean(abs(diff(train, lag = m)))
  scale2 <- mean(diff(train, lag = m)^2)
  for (model in models) {
    t0 <- proc.time()[["elapsed"]]
    fc <- tryCatch(fit(model, y), error = function(e) NULL)
    ms <- (proc.time()[["elapsed"]] - t0) * 1000
    f <- if (is.null(fc)) rep(NA_real_, h) else pmax(as.numeric(fc$mean), 0)
    err <- abs(f - test)
    den <- abs(f) + abs(test)
    cov <- sapply(seq_along(levels), function(k) if (is.null(fc)) NA_real_ else cover(fc, k, test))
    rows[[length(rows) + 1]] <- data.frame(series_id = sid, model = model,
      mase = mean(err) / scale, smape = mean(ifelse(den == 0, 0, 200 * err / den)), abs_err = sum(err),
      abs_actual = sum(abs(test)), fit_ms = ms, rmsse = sqrt(mean(err^2) / scale2),
      coverage50 = cov[1], coverage80 = cov[2], coverage90 = cov[3], coverage95 = cov[4],
      bias = sum(f - test))
  }
}
write.csv(do.call(rbind, rows), out, row.names = FALSE)
