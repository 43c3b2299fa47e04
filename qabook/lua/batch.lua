-- Runs a batch of pandoc jobs in one process: read Markdown or BibTeX, or write documents.
-- Input (stdin): a JSON array of jobs; output: one JSON line per job, in order.
--   {"read": text, "format": "commonmark_x+sourcepos"}         -> the document's JSON AST
--   {"write": doc, "format": "html5", "options": {...}}       -> {"text": output}
-- A failing job yields {"error": message} and the batch goes on.

local function run(job)
  if job.read ~= nil then
    return pandoc.write(pandoc.read(job.read, job.format), 'json')
  end
  local doc = pandoc.read(pandoc.json.encode(job.write), 'json')
  if job.citeproc then
    doc = pandoc.utils.citeproc(doc)
  end
  local text = pandoc.write(doc, job.format, job.options or {})
  return pandoc.json.encode({text = text})
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
