// The gateway's load plan, after the seed write-ups' k6 runs. One scenario per run, chosen by
// SCENARIO: "ramp" (100 → 250 → 500 → 1,000 virtual users, each submitting and pausing about a
// second, as a student does), "arrival" (a constant arrival rate: the open model, no coordinated
// omission), "polling" (students polling their submission's status). TARGET is the base URL;
// DATA a JSON file {assignment_id, tokens[], submissions[]} written by bench/gateway.py.
import http from "k6/http";
import { check, sleep } from "k6";
import { SharedArray } from "k6/data";
import exec from "k6/execution";

const data = JSON.parse(open(__ENV.DATA));
const tokens = new SharedArray("tokens", () => data.tokens);
const submissions = new SharedArray("submissions", () => data.submissions);
const target = __ENV.TARGET;
const rate = parseInt(__ENV.RATE || "1000");
const seconds = __ENV.DURATION || "30s";
const stage = __ENV.STAGE || "15s";

const scenarios = {
  ramp: {
    executor: "ramping-vus",
    startVUs: 0,
    stages: [
      { duration: stage, target: 100 },
      { duration: stage, target: 250 },
      { duration: stage, target: 500 },
      { duration: stage, target: 1000 },
      { duration: stage, target: 1000 },
      { duration: "5s", target: 0 },
    ],
    gracefulRampDown: "5s",
    exec: "submit",
  },
  arrival: {
    executor: "constant-arrival-rate",
    rate: rate,
    timeUnit: "1s",
    duration: seconds,
    preAllocatedVUs: 300,
    maxVUs: 3000,
    exec: "submit",
  },
  polling: {
    executor: "constant-arrival-rate",
    rate: rate,
    timeUnit: "1s",
    duration: seconds,
    preAllocatedVUs: 200,
    maxVUs: 2000,
    exec: "poll",
  },
};

// Figures per stage of the ramp and per status: k6's summary holds a sub-metric (a tag's own
// figures) only when a threshold names it, so each is named with a threshold that always holds.
const stageSeconds = parseInt(stage);
const thresholds = {};
for (let i = 0; i <= 5; i++) {
  thresholds[`http_req_duration{stage:${i}}`] = ["max>=0"];
  thresholds[`http_reqs{stage:${i}}`] = ["count>=0"];
}
for (const status of ["0", "202", "200", "429", "500", "502", "503", "504"]) {
  thresholds[`http_reqs{status:${status}}`] = ["count>=0"];
}

export const options = {
  scenarios: { [__ENV.SCENARIO]: scenarios[__ENV.SCENARIO] },
  summaryTrendStats: ["avg", "med", "p(90)", "p(95)", "p(99)", "max"],
  discardResponseBodies: true,
  thresholds: thresholds,
};

function stageNow() {
  return String(Math.min(5, Math.floor(exec.instance.currentTestRunDuration / 1000 / stageSeconds)));
}

const sources = ["n = int(input())\nprint(sum(range(1, n + 1)))\n", "n = int(input())\nprint(n * n)\n"];

export function submit() {
  const token = tokens[(__VU + __ITER) % tokens.length];
  const body = JSON.stringify({
    assignment_id: data.assignment_id,
    language: "python",
    source: sources[__ITER % 2],
  });
  const r = http.post(`${target}/v1/submissions`, body, {
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    timeout: "10s",
    tags: { name: "submit", stage: stageNow() },
  });
  check(r, { accepted: (res) => res.status === 202 });
  if (__ENV.SCENARIO === "ramp") sleep(0.5 + Math.random());
}

export function poll() {
  const i = (__VU * 7919 + __ITER) % submissions.length;
  const r = http.get(`${target}/v1/submissions/${submissions[i].id}`, {
    headers: { Authorization: `Bearer ${submissions[i].token}` },
    timeout: "10s",
    tags: { name: "poll" },
  });
  check(r, { found: (res) => res.status === 200 });
}
