/**
 * The built-in menus of `umphone serve`, as the YAML a user would write (`--menus file.yaml` replaces
 * it; `umphone serve --print-menus` prints it as a starting point). Kept as a string in a module, not
 * a .yaml file beside it, so the compiled package carries it without a copy step.
 */
export const DEFAULT_MENUS_YAML = `# umphone serve: menus of the built-in Exchange-UM-like voicemail server.
# Prompt names are WAV files (without .wav) in the prompts folder; "beep" is audio/beep-1000hz.wav.

# Relative to the umphone package (or an absolute path).
prompts: audio/prompts

# Subscriber access: a call to this number without Diversion/History-Info asks for extension and PIN.
pilot: "6000"

# Numbers are milliseconds; a duration with its unit works too (5s, 1m30s).
timeouts:
  # Exchange UM waits 5 s for the first digit after a prompt and 5 s between digits.
  firstDigitMs: 5000
  interDigitMs: 5000
  # Call answering ends the recording after this much silence (after speech) or without any speech.
  silenceMs: 3000
  noSpeechMs: 10000
  maxMessageMs: 120000

# Wrong or missing input this many times in a row: "Goodbye" and BYE.
maxRetries: 3

mailboxes:
  "613":
    name: Extension 613
    pin: "1234"
    greeting: greeting-613
  "614":
    name: Extension 614
    pin: "4321"
    greeting: greeting-613

# Called numbers the worker redirects with 302 before answering (a transfer without answering).
forwards:
  "6099": "613"

autoAttendant:
  number: "6100"
  prompt: auto-attendant
  # An answered call is transferred with REFER (RFC 3515) to sip:<extension>@<caller's host>,
  # or to a full SIP URI given here.
  options:
    "1": { transfer: "2001", name: sales }
    "2": { transfer: "2002", name: support }
    "0": { transfer: "2000", name: operator }
`;
