import { request, Agent, setGlobalDispatcher } from "undici";
setGlobalDispatcher(new Agent({ connections: 32 }));
const base = "http://127.0.0.1:18777";
const auth = await request(`${base}/identity/v3/auth/tokens`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ auth: { identity: { methods: ["password"], password: { user: { name: "a", domain: { name: "Default" }, password: "p" } } } } }) });
const token = auth.headers["x-subject-token"]; await auth.body.text();
let t = Date.now(); let url = `${base}/compute/v2.1/servers/detail?limit=1000`; let pages = 0;
while (url) { const r = await request(url, { headers: { "x-auth-token": token } }); const b = await r.body.json(); pages++; url = b.servers_links?.[0]?.href; if (!b.servers.length) break; }
console.log("list 10k detail ms", Date.now() - t, pages);
const ids = (await (await request(`${base}/compute/v2.1/servers?limit=1000`, { headers: { "x-auth-token": token } })).body.json()).servers.map(s => s.id);
t = Date.now(); const total = 8000; let done = 0;
await Promise.all(Array.from({ length: 32 }, async () => { while (done < total) { done++; const r = await request(`${base}/compute/v2.1/servers/${ids[done % ids.length]}`, { headers: { "x-auth-token": token } }); await r.body.text(); } }));
console.log("GET show req/s", Math.round(total / (Date.now() - t) * 1000));
