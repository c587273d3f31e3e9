'use strict';
/**
 * artillery-engine-umphone: what Artillery loads for `engine: umphone` (it require()s
 * "artillery-engine-" + the engine's name and calls `new Engine(script, events, helpers)`).
 *
 * umphone is an ES module, and Artillery constructs engines synchronously: this CommonJS shim imports
 * the engine (umphone/artillery) at construction and hands each virtual user to it once loaded. In a
 * checkout of the umphone repository it runs the TypeScript source through tsx, as bin/umphone.js does,
 * so a stale dist/ never runs; an installed umphone runs its compiled dist/.
 */
const { existsSync } = require('node:fs');
const { dirname, join } = require('node:path');
const { pathToFileURL } = require('node:url');

let core;

async function loadCore() {
  const root = dirname(require.resolve('umphone/package.json'));
  const source = join(root, 'src', 'artillery', 'index.ts');
  if (existsSync(source)) {
    let register;
    try {
      ({ register } = await import('tsx/esm/api'));
    } catch {
      register = undefined;
    }
    if (register) {
      register();
      return import(pathToFileURL(source).href);
    }
  }
  return import('umphone/artillery');
}

class UmphoneEngine {
  constructor(script, ee, helpers) {
    core ??= loadCore();
    this.engine = core.then((m) => new m.UmphoneEngine(script, ee, helpers));
    // A bad config.umphone fails every virtual user with its message (below), not as an unhandled rejection.
    this.engine.catch(() => undefined);
  }

  createScenario(spec, ee) {
    // Artillery counts a virtual user as pending from its engine's 'started' event and ends the worker
    // when none is pending: emitted here at once, not after the import (a worker would end with its
    // users still loading), and dropped from the engine's own events.
    const events = { emit: (event, ...args) => (event === 'started' ? true : ee.emit(event, ...args)) };
    const scenario = this.engine.then((e) => e.createScenario(spec, events));
    scenario.catch(() => undefined);
    return function umphoneScenario(context, callback) {
      ee.emit('started');
      scenario.then(
        (run) => run(context, callback),
        (err) => {
          ee.emit('error', `umphone: ${err.message}`);
          callback(err, context);
        },
      );
    };
  }
}

module.exports = UmphoneEngine;
