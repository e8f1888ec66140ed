/**
 * The specs of the operator tools, which talk to agents over MQTT: ctl, watch, check, fleet check.
 */
import { defineCommand } from "../spec.js";
import { BROKER_OPTION, loginOptions, SITE_FILE_OPTION } from "./shared.js";

export const ctlSpec = defineCommand({
  name: "ctl",
  summary: "send a command to a site's agent and print the response",
  positionals: [
    { name: "SITE", description: "the site id (district-07)" },
    { name: "DEVICE", description: "the device id, or - for the agent itself" },
    { name: "ACTION", description: "the action (preset.recall); the site's retained agent/meta lists every action and its arguments" },
  ],
  options: {
    arg: { type: "string", multiple: true, value: "k=v", description: "an argument of the action; v is read as JSON when it parses (2, true), else as text" },
    json: { type: "boolean", description: "print the whole response as JSON" },
    broker: BROKER_OPTION,
    ...loginOptions("operator"),
    timeout: { type: "string", value: "MS", description: "wait this long for the response", default: "15000" },
    expires: { type: "string", value: "MS", description: "the agent answers `expired` instead of running the command if it arrives later than this", default: "never expires" },
  },
  exitCodes: [
    [0, "the agent ran the command"],
    [1, "the agent answered with an error (rejected, expired, device error), or the broker could not be reached"],
    [2, "bad usage"],
    [3, "no response within --timeout (is the agent running?)"],
  ],
  examples: [
    { command: "roomgate ctl district-07 cam-main preset.recall --arg preset=2", what: "recall preset 2 on the main camera" },
    { command: "roomgate ctl district-07 side-displays blank.set --arg on=true --arg display=left --json", what: "blank the left display; print the response as JSON" },
  ],
});

export const watchSpec = defineCommand({
  name: "watch",
  summary: "print every roomgate message of a site (or of all sites); alarms stand out",
  positionals: [{ name: "SITE", description: "only this site", optional: true }],
  options: {
    broker: BROKER_OPTION,
    ...loginOptions(undefined),
  },
  notes: ["Runs until Ctrl-C."],
  examples: [
    { command: "roomgate watch district-07", what: "follow one site's state, health, alarms, commands and responses" },
    { command: "roomgate watch --broker mqtts://centre:8883 --user mon-1 --password-file mon.pw --ca ca.pem", what: "every site, as a monitor, over TLS" },
  ],
});

export const checkSpec = defineCommand({
  name: "check",
  summary: "the pre-session readiness check of this site, through its running agent",
  notes: ["One line per item: pass, warn or fail with the reason and the fix. The agent must be running (see roomgate doctor when it is not)."],
  options: {
    config: SITE_FILE_OPTION,
    fix: { type: "boolean", description: "run the site's prepare scene first, then check" },
    json: { type: "boolean", description: "print the report as JSON" },
    html: { type: "string", value: "FILE", description: "also write the report as an HTML page" },
    rooms: { type: "string", value: "a,b", description: "check only these rooms", default: "every room" },
    deadline: { type: "string", value: "MS", description: "the check finishes within this, at least 1000", default: "the site file's readiness.deadlineMs, else 20000" },
    broker: { ...BROKER_OPTION, default: "$ROOMGATE_BROKER, else the site file's broker.url" },
    ...loginOptions("operator"),
  },
  exitCodes: [
    [0, "every item passed or warned"],
    [1, "an item failed, or the agent refused the check"],
    [2, "bad usage or an invalid site file"],
    [3, "no answer from the agent (is it running and connected?)"],
    [4, "the agent is busy with another check"],
  ],
  examples: [
    { command: "roomgate check", what: "check this gateway's site (an installed gateway finds /etc/roomgate/site.yaml)" },
    { command: "roomgate check --fix --html report.html", what: "prepare the rooms (cameras on, presets, unmute), check, and write a report to hand over" },
  ],
});

export const fleetSpec = defineCommand({
  name: "fleet",
  summary: "readiness of many sites at once",
  options: {},
  examples: [{ command: "roomgate fleet check --all", what: "one board of every site's readiness" }],
});

export const fleetCheckSpec = defineCommand({
  name: "fleet check",
  summary: "ask many sites for a readiness check at once: one board of their results",
  usage: "(--sites a,b | --all) [options]",
  notes: ["A site that did not answer by the deadline is marked on the board."],
  options: {
    sites: { type: "string", value: "a,b", description: "check these sites (this or --all)" },
    all: { type: "boolean", description: "check every site with a retained agent state on the broker (needs an operator allowed on all sites)" },
    json: { type: "boolean", description: "print the board as JSON" },
    deadline: { type: "string", value: "MS", description: "wait this long for every site's report, at least 1000", default: "30000" },
    fix: { type: "boolean", description: "run each site's prepare scene first" },
    broker: BROKER_OPTION,
    ...loginOptions("operator"),
  },
  exitCodes: [
    [0, "every site passed or warned"],
    [1, "a site failed or did not answer"],
    [2, "bad usage"],
  ],
  examples: [
    { command: "roomgate fleet check --all", what: "every site the broker knows" },
    { command: "roomgate fleet check --sites commune-a,commune-b --deadline 60000 --json", what: "two sites, a minute to answer, as JSON" },
  ],
});
