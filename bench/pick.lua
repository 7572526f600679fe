-- wrk script: every request GETs a path drawn at random from a file of paths, one per line,
-- named after "--" on wrk's command line:
--
--   wrk -t2 -c32 -d60s --latency -s bench/pick.lua http://127.0.0.1:8080 -- paths.txt
--
-- Each thread has its own Lua state and loads the file once, in init.

local threads = 0

-- setup runs in the main state once per thread, before the thread's init: it numbers the
-- threads so that each draws its own sequence of paths.
function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

local paths = {}
local count = 0

function init(args)
  local file = args[1]
  if file == nil then
    error("usage: wrk ... -s pick.lua URL -- PATHS_FILE")
  end
  for line in io.lines(file) do
    if line ~= "" then
      count = count + 1
      paths[count] = line
    end
  end
  if count == 0 then
    error("no paths in " .. file)
  end
  math.randomseed(os.time() * 100 + (thread_number or 0))
end

function request()
  return wrk.format("GET", paths[math.random(count)])
end
