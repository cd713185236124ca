// The official Durable Functions SDK for JavaScript (`durable-functions`, npm) driving the generated
// servers as if they were the Functions host: a `DurableClient` with `rpcBaseUrl` pointed at the
// orchestrations server (entities at the entities server). Run by tests/python/test_sdk_js.py, which
// starts the servers and the test double, then scans everything printed here for the key and the
// upstream's address.
//
// Usage: node scenario.mjs <orchestrations REST URL> <entities REST URL>
// Prints one JSON line per step: {"step": ..., "ok": true|false, "error"?: ..., "seen": [...]}.

import assert from "node:assert/strict";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { DurableClient } = require("durable-functions/lib/src/durableClient/DurableClient.js");
const { EntityId, OrchestrationRuntimeStatus } = require("durable-functions");

const [orchestrationsUrl, entitiesUrl] = process.argv.slice(2);
const WEBHOOKS = "/v1/runtime/webhooks/durabletask";
const HUB = "TestHubName";

function clientData(restUrl) {
  const base = `${restUrl}${WEBHOOKS}`;
  const query = `taskHub=${HUB}&connection=Storage`;
  const instance = `${base}/instances/INSTANCEID`;
  return {
    taskHubName: HUB,
    creationUrls: {
      createNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?${query}`,
      createAndWaitOnNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&${query}`,
    },
    managementUrls: {
      id: "INSTANCEID",
      statusQueryGetUri: `${instance}?${query}`,
      sendEventPostUri: `${instance}/raiseEvent/{eventName}?${query}`,
      terminatePostUri: `${instance}/terminate?reason={text}&${query}`,
      rewindPostUri: `${instance}/rewind?reason={text}&${query}`,
      purgeHistoryDeleteUri: `${instance}?${query}`,
      restartPostUri: `${instance}/restart?${query}`,
      suspendPostUri: `${instance}/suspend?reason={text}&${query}`,
      resumePostUri: `${instance}/resume?reason={text}&${query}`,
    },
    baseUrl: base,
    requiredQueryStringParameters: "",
    rpcBaseUrl: `${base}/`,
  };
}

const orchestrations = new DurableClient(clientData(orchestrationsUrl));
const entities = new DurableClient(clientData(entitiesUrl));

// Everything the SDK reads off the wire, for the leak scan.
const seen = [];
for (const client of [orchestrations, entities]) {
  client.axiosInstance.interceptors.response.use((response) => {
    seen.push(JSON.stringify({ status: response.status, headers: response.headers, data: response.data }));
    return response;
  });
}

const unique = (prefix) => `${prefix}-${Math.random().toString(16).slice(2, 14)}`;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(instanceId, wanted, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await orchestrations.getStatus(instanceId);
    if (status.runtimeStatus === wanted) return status;
    if (Date.now() > deadline) throw new Error(`${instanceId} is ${status.runtimeStatus}, not ${wanted}`);
    await sleep(50);
  }
}

async function follow(method, url, body) {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  seen.push(JSON.stringify({ status: response.status, headers: Object.fromEntries(response.headers), text }));
  return response.status;
}

const steps = {
  async "start without an id, then status"() {
    const id = await orchestrations.startNew("Echo", { input: { order: 1 } });
    assert.equal(id.length, 32);
    const status = await waitFor(id, OrchestrationRuntimeStatus.Completed);
    assert.deepEqual(status.output, { order: 1 });
  },
  async "start with an id and a version"() {
    const id = unique("js-version");
    assert.equal(await orchestrations.startNew("Echo", { instanceId: id, input: 2, version: "2.0" }), id);
    await waitFor(id, OrchestrationRuntimeStatus.Completed);
  },
  async "status with history"() {
    const id = unique("js-history");
    await orchestrations.startNew("Echo", { instanceId: id, input: 5 });
    await waitFor(id, OrchestrationRuntimeStatus.Completed);
    const before = seen.length;
    const status = await orchestrations.getStatus(id, { showHistory: true, showHistoryOutput: true, showInput: true });
    // The SDK's status model reads `history`, the host sends `historyEvents` (an SDK quirk): look
    // at the answer itself.
    assert.equal(status.history, undefined);
    assert.ok(seen.slice(before).some((it) => it.includes('"historyEvents"')), "showHistory reaches the upstream");
    assert.equal(status.input, 5);
  },
  async "raise an event"() {
    const id = unique("js-event");
    await orchestrations.startNew("WaitForEvent", { instanceId: id });
    await waitFor(id, OrchestrationRuntimeStatus.Running);
    await orchestrations.raiseEvent(id, "Approval", { approved: true });
    const status = await waitFor(id, OrchestrationRuntimeStatus.Completed);
    assert.deepEqual(status.output, { approved: true });
  },
  async "suspend, resume, terminate"() {
    const id = unique("js-suspend");
    await orchestrations.startNew("WaitForEvent", { instanceId: id });
    await waitFor(id, OrchestrationRuntimeStatus.Running);
    await orchestrations.suspend(id, "pause");
    await waitFor(id, OrchestrationRuntimeStatus.Suspended);
    await orchestrations.resume(id, "go");
    await waitFor(id, OrchestrationRuntimeStatus.Running);
    await orchestrations.terminate(id, "done");
    const status = await waitFor(id, OrchestrationRuntimeStatus.Terminated);
    assert.equal(status.output, "done");
  },
  async "rewind a failed orchestration"() {
    const id = unique("js-rewind");
    await orchestrations.startNew("Fail", { instanceId: id, input: { message: "once" } });
    await waitFor(id, OrchestrationRuntimeStatus.Failed);
    await orchestrations.rewind(id, "retry");
    await waitFor(id, OrchestrationRuntimeStatus.Completed);
  },
  async "list, filter and page"() {
    // More instances than the upstream's page (100): the SDK follows the continuation token,
    // which the server passes through.
    const ids = [];
    for (let n = 0; n < 105; n += 1) {
      const id = unique("js-list");
      ids.push(id);
      await orchestrations.startNew("Echo", { instanceId: id, input: n });
    }
    await waitFor(ids[ids.length - 1], OrchestrationRuntimeStatus.Completed);
    const before = seen.length;
    const all = await orchestrations.getStatusAll();
    const listed = new Set(all.map((it) => it.instanceId));
    for (const id of ids) assert.ok(listed.has(id), `${id} listed`);
    assert.ok(
      seen.slice(before).some((it) => it.includes("x-ms-continuation-token")),
      "the answer had more than one page",
    );
    const since = new Date(Date.now() - 60000);
    const completed = await orchestrations.getStatusBy({
      createdTimeFrom: since,
      runtimeStatus: [OrchestrationRuntimeStatus.Completed],
    });
    assert.ok(completed.length >= 3);
    assert.ok(completed.every((it) => it.runtimeStatus === "Completed"));
  },
  async "purge one and by filter"() {
    const one = unique("js-purge");
    await orchestrations.startNew("Echo", { instanceId: one, input: 1 });
    await waitFor(one, OrchestrationRuntimeStatus.Completed);
    assert.equal((await orchestrations.purgeInstanceHistory(one)).instancesDeleted, 1);
    assert.equal((await orchestrations.purgeInstanceHistory(one)).instancesDeleted, 0);
    const since = new Date(Date.now() - 1000);
    for (let n = 0; n < 2; n += 1) {
      const id = unique("js-purge-filter");
      await orchestrations.startNew("Echo", { instanceId: id, input: n });
      await waitFor(id, OrchestrationRuntimeStatus.Completed);
    }
    const purged = await orchestrations.purgeInstanceHistoryBy({
      createdTimeFrom: since,
      runtimeStatus: [OrchestrationRuntimeStatus.Completed],
    });
    assert.ok(purged.instancesDeleted >= 2, `purged ${purged.instancesDeleted}`);
  },
  async "check-status links are served"() {
    const id = unique("js-links");
    await orchestrations.startNew("WaitForEvent", { instanceId: id });
    const links = orchestrations.createHttpManagementPayload(id);
    assert.equal(await follow("GET", links.statusQueryGetUri), 202);
    assert.equal(await follow("POST", links.suspendPostUri.replace("{text}", "pause")), 202);
    assert.equal(await follow("POST", links.resumePostUri.replace("{text}", "go")), 202);
    assert.equal(await follow("POST", links.sendEventPostUri.replace("{eventName}", "Approval"), { ok: 1 }), 202);
    await waitFor(id, OrchestrationRuntimeStatus.Completed);
    assert.equal(await follow("POST", links.restartPostUri), 202);
    assert.ok([202, 410].includes(await follow("POST", links.terminatePostUri.replace("{text}", "stop"))));
    assert.equal(await follow("DELETE", links.purgeHistoryDeleteUri), 200);
  },
  async "entities: signal and read"() {
    const entity = new EntityId("counter", unique("js-counter"));
    await entities.signalEntity(entity, "add", 5);
    await entities.signalEntity(entity, "add", 2);
    let state;
    for (let n = 0; n < 100; n += 1) {
      state = await entities.readEntityState(entity);
      if (state.entityExists && state.entityState === 7) break;
      await sleep(50);
    }
    assert.ok(state.entityExists);
    assert.equal(state.entityState, 7);
  },
};

let failed = false;
for (const [step, run] of Object.entries(steps)) {
  const before = seen.length;
  try {
    await run();
    console.log(JSON.stringify({ step, ok: true, seen: seen.slice(before) }));
  } catch (error) {
    failed = true;
    console.log(JSON.stringify({ step, ok: false, error: String(error && error.stack || error), seen: seen.slice(before) }));
  }
}
// `process.exit` could cut a long line short on a pipe: let the output drain.
process.exitCode = failed ? 1 : 0;
