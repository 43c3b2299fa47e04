-- Runs a batch of pandoc jobs in one process: write documents (reading goes through
-- pandoc-server's batch interface instead, see pandoc.py).
-- Input (stdin): a JSON array of jobs; output: one JSON line per job, in order.
--   {"write": doc, "format": "html5", "options": {...},
--    "citeproc": bool, "parts": bool}                       -> {"text": output}
--     with "parts", each top-level Div with an id is written on its own (its ids prefixed
--     with "<id>-"), after citeproc, and the result is {"parts": {id: output}}.
--   {"epub": doc, "root": dir, "output": path, "options": {...}}
--                                                           -> {"warnings": [message, ...]}
--     writes the document as an EPUB 3 to path, its images read from under dir, each file
--     whole (pandoc's default template).
-- A failing job yields {"error": message} and the batch goes on.

local function write_parts(doc, format, options)
  local parts = {}
  local prefix = options.identifier_prefix or ''
  for _, block in ipairs(doc.blocks) do
    if block.t == 'Div' and block.identifier ~= '' then
      local opts = {}
      for key, value in pairs(options) do opts[key] = value end
      opts.identifier_prefix = prefix .. block.identifier .. '-'
      parts[block.identifier] = pandoc.write(pandoc.Pandoc(block.content, doc.meta), format, opts)
    end
  end
  return parts
end

local function write_epub(job)
  local doc = pandoc.read(pandoc.json.encode(job.epub), 'json')
  local options = job.options or {}
  options.template = pandoc.template.compile(pandoc.template.default('epub3'))
  local seen = #PANDOC_STATE.log
  local bytes = pandoc.system.with_working_directory(job.root, function()
    return pandoc.write(doc, 'epub3', options)
  end)
  local warnings = {}
  for index = seen + 1, #PANDOC_STATE.log do
    local message = pandoc.json.decode(pandoc.json.encode(PANDOC_STATE.log[index]), false)
    if message.verbosity ~= 'INFO' then table.insert(warnings, message.pretty) end
  end
  local file = assert(io.open(job.output, 'wb'))
  file:write(bytes)
  file:close()
  return pandoc.json.encode({warnings = warnings})
end

local function run(job)
  if job.epub ~= nil then
    return write_epub(job)
  end
  local doc = pandoc.read(pandoc.json.encode(job.write), 'json')
  if job.citeproc then
    doc = pandoc.utils.citeproc(doc)
  end
  local options = job.options or {}
  if job.parts then
    return pandoc.json.encode({parts = write_parts(doc, job.format, options)})
  end
  return pandoc.json.encode({text = pandoc.write(doc, job.format, options)})
end

local jobs = pandoc.json.decode(io.read('a'), false)
for _, job in ipairs(jobs) do
  local ok, result = pcall(run, job)
  if ok then
    io.write(result, '\n')
  else
    io.write(pandoc.json.encode({error = tostring(result)}), '\n')
  end
end
