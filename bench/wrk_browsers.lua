-- The load of bench/kiosk_pages.py, for wrk (Debian's package), run as
--   BENCH_PLAN=plan.lua wrk -t N -c N -d SECONDS -s bench/wrk_browsers.lua http://127.0.0.1:PORT/
-- One connection per wrk thread, and each thread is one browser of the plan: its own
-- cookies, looping over its pages from its own offset. plan.lua, written by the bench,
-- returns { window = {t0, t1}, browsers = { {cookie = "...", paths = {...}, offset = n}, ... } }
-- with t0 and t1 on CLOCK_MONOTONIC, the clock of Python's time.monotonic().
--
-- Every request begun inside the window is recorded (page, status, seconds) and printed
-- by done() for the bench to pool. wrk's own latency counts only the whole run; this
-- gives the window and each page. A request begun in the window and still unanswered
-- when wrk stops is printed too, as unfinished: nothing measured is silently dropped.

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clock_id, bench_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local clock = ffi.new("bench_timespec")

local function now()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, clock)
  return tonumber(clock.tv_sec) + tonumber(clock.tv_nsec) / 1e9
end

local plan = dofile(os.getenv("BENCH_PLAN"))
local window_start, window_end = plan.window[1], plan.window[2]

-- main state: number the threads, keep them for done()
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("number", #threads)
end

-- each thread's own state
function init(args)
  browser = plan.browsers[(number - 1) % #plan.browsers + 1]
  if browser.cookie ~= "" then
    wrk.headers["Cookie"] = browser.cookie
  end
  step = browser.offset
  pages, statuses, seconds, closes = {}, {}, {}, 0
  began, path = nil, nil
end

function request()
  path = browser.paths[step % #browser.paths + 1]
  step = step + 1
  began = now()
  return wrk.format("GET", path)
end

function response(status, headers)
  if began >= window_start and began < window_end then
    local n = #seconds + 1
    pages[n], statuses[n], seconds[n] = path, status, now() - began
    if headers["Connection"] == "close" then
      closes = closes + 1
    end
  end
  began = nil
end

function done(summary)
  for _, thread in ipairs(threads) do
    local pages, statuses, seconds = thread:get("pages"), thread:get("statuses"), thread:get("seconds")
    for i = 1, #seconds do
      io.write(string.format("request %s %d %.6f\n", pages[i], statuses[i], seconds[i]))
    end
    local began = thread:get("began")
    if began and began >= window_start and began < window_end then
      io.write(string.format("unfinished %s\n", thread:get("path")))
    end
    io.write(string.format("closes %d\n", thread:get("closes")))
  end
  local errors = summary.errors
  io.write(string.format("socket-errors %d %d %d %d\n", errors.connect, errors.read, errors.write, errors.timeout))
end
