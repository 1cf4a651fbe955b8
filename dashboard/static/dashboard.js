// The dashboard's one script (docs/dashboard.md "Charts"): draws each chart from its Vega-Lite
// spec at /dashboard/charts/NAME.json with vega-embed, and fills the fragments the page loads
// after its first byte (the forecast table, when its <details> is opened). Vega runs with its expression interpreter
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
    // A chart with no data says so in words (the server's `empty`), not with an empty frame.
    if (typeof body.empty === 'string' || !body.spec) {
      showMessage(element, body.empty ?? 'No data for this chart yet.')
      return
    }
    // The spec is charts/'s one definition; in the page it takes its container's width.
    await embed(
      element,
      { ...body.spec, width: 'container', autosize: { type: 'fit-x', contains: 'padding' } },
      {
        actions: false,
        renderer: 'svg',
        ast: true,
        expr: expressionInterpreter,
        // No injected <style> elements (the CSP allows none): dashboard.css styles the tooltip.
        defaultStyle: false,
        tooltip: { disableDefaultStyle: true },
      },
    )
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
  const target = element.querySelector('.fragment') ?? element
  element.dataset.state = 'loading'
  try {
    const response = await fetch(url, { credentials: 'same-origin' })
    const text = await response.text()
    // The fragment is server-rendered HTML from this origin, escaped like every page.
    target.innerHTML = text
    element.dataset.state = response.ok ? 'loaded' : 'refused'
  } catch {
    target.textContent = 'Could not load this part of the page.'
  }
}

for (const element of document.querySelectorAll('[data-chart]')) drawChart(element)
// A fragment inside <details> loads when it is opened (the forecast runs once, for its chart).
for (const element of document.querySelectorAll('[data-fragment]')) {
  if (element.tagName === 'DETAILS')
    element.addEventListener(
      'toggle',
      () => element.open && !element.dataset.state && fillFragment(element),
    )
  else fillFragment(element)
}
