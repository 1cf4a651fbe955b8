// The dashboard's one script (docs/dashboard.md "Charts"): draws each chart from its Vega-Lite
// spec at /dashboard/charts/NAME.json with vega-embed, and fills the fragments the page loads
// after its first byte (the forecast table). Vega runs with its expression interpreter
// (`ast: true`), so the page's Content-Security-Policy needs no 'unsafe-eval'.
import { expressionInterpreter } from 'vega-interpreter'

const embed = globalThis.vegaEmbed

async function drawChart(element) {
  const name = element.dataset.chart
  element.dataset.state = 'loading'
  try {
    const response = await fetch(`/dashboard/charts/${encodeURIComponent(name)}.json`, {
      credentials: 'same-origin',
      headers: { Accept: 'application/json' },
    })
    const body = await response.json().catch(() => ({}))
    if (!response.ok || !body || typeof body !== 'object') {
      showMessage(element, body?.error ?? `The chart could not be loaded (${response.status}).`)
      return
    }
    // A chart with no data says so (the server sends { empty: true, message }).
    const spec = body.spec ?? body
    if (body.empty || !spec || (!spec.mark && !spec.layer && !spec.vconcat && !spec.hconcat)) {
      showMessage(element, body.message ?? 'No data for this chart yet.')
      return
    }
    await embed(element, spec, {
      actions: false,
      renderer: 'svg',
      ast: true,
      expr: expressionInterpreter,
      defaultStyle: false,
    })
    element.dataset.state = 'drawn'
  } catch (err) {
    showMessage(element, 'The chart could not be drawn.')
    console.warn('chart', name, err)
  }
}

function showMessage(element, text) {
  element.dataset.state = 'empty'
  const p = document.createElement('p')
  p.className = 'empty'
  p.textContent = String(text)
  element.replaceChildren(p)
}

async function fillFragment(element) {
  const url = element.dataset.fragment
  try {
    const response = await fetch(url, { credentials: 'same-origin' })
    const text = await response.text()
    // The fragment is server-rendered HTML from this origin, escaped like every page.
    element.innerHTML = text
    element.dataset.state = response.ok ? 'loaded' : 'refused'
  } catch {
    element.textContent = 'Could not load this part of the page.'
  }
}

for (const element of document.querySelectorAll('[data-chart]')) drawChart(element)
for (const element of document.querySelectorAll('[data-fragment]')) fillFragment(element)
