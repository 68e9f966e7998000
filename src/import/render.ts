import { Document, isMap, parseDocument, Scalar, YAMLMap, YAMLSeq } from "yaml";
import type { ComposedFleet, ComposedGroup, ComposedInstance } from "./compose.js";
import { fleetLiteral } from "./literal.js";
import type { ImportedServer, ImportedSpec, LeftOutServer, ServerNote } from "./types.js";

export interface ImportedFleetText {
  /** The fleet file `reform import` read: its providers are copied as written (comments, `${env:…}` and all). */
  readonly sourceText: string;
  /** The providers imported, in the source file's order. */
  readonly providers: readonly string[];
  readonly fleet: ComposedFleet;
  readonly leftOut: readonly LeftOutServer[];
  /** A comment for an image written by id (its name, and why not by name), by image id. */
  readonly imageComments: ReadonlyMap<string, string>;
  /** What the header says. */
  readonly header: {
    /** The source fleet file, as the user named it. */
    readonly source: string;
    /** The servers' latest change (ISO 8601), when the clouds say: the state this file describes. */
    readonly asOf?: string;
    /** The command that checks the file. */
    readonly check: string;
  };
}

/** How many server names a group's comment lists before "and N more". */
const NAMES_SHOWN = 8;

/**
 * The imported fleet file's text (pure): header, providers as written, defaults, groups, instances, and the servers
 * left out, with comments where something is not written and why. Built with the `yaml` Document API.
 */
export function renderImportedFleet(input: ImportedFleetText): string {
  const doc = new Document(new YAMLMap());
  doc.commentBefore = header(input);
  const root = doc.contents as YAMLMap;
  root.add(doc.createPair("providers", copiedProviders(input.sourceText, input.providers)));
  const { defaults, groups, instances } = input.fleet;
  if (Object.keys(defaults).length > 0) {
    const node = new YAMLMap();
    node.add(doc.createPair("spec", specNode(doc, defaults, input.imageComments)));
    section(doc, root, "defaults", node, " Shared by most servers; a group or an instance below says what differs.");
  }
  if (groups.length > 0) section(doc, root, "groups", seqOf(groups.map((g) => groupNode(doc, g, input.imageComments))));
  if (instances.length > 0)
    section(doc, root, "instances", seqOf(instances.map((i) => instanceNode(doc, i, input.imageComments))));
  if (input.leftOut.length > 0) doc.comment = leftOutComment(sortLeftOut(input.leftOut, input.providers));
  return doc.toString({ lineWidth: 0 });
}

function header(input: ImportedFleetText): string {
  const { fleet, header: h } = input;
  const servers = fleet.groups.reduce((n, g) => n + g.members.length, 0) + fleet.instances.length;
  const leftOut =
    input.leftOut.length > 0 ? `; ${count(input.leftOut.length, "server")} left out (listed at the end)` : "";
  return [
    ` Written by \`reform import\` from ${commentText(h.source)} (providers ${input.providers.join(", ")}).`,
    ` ${count(servers, "server")}: ${count(fleet.groups.length, "group")}, ${count(fleet.instances.length, "instance")}${leftOut}.`,
    ...(h.asOf ? [` The servers as of ${h.asOf}, their latest change.`] : []),
    ` Check it (exit 0: nothing would change): ${commentText(h.check)}`,
    " Nothing that looks like a secret is written here: see the comments where a value was left out.",
  ].join("\n");
}

/** The source file's `providers` entries that were imported, as written (node copies keep comments and flow style). */
function copiedProviders(sourceText: string, names: readonly string[]): YAMLMap {
  const providers = parseDocument(sourceText).get("providers", true);
  if (!isMap(providers)) return new YAMLMap();
  const copy = providers.clone() as YAMLMap;
  copy.items = copy.items.filter((pair) => names.includes(String((pair.key as Scalar | undefined)?.value ?? pair.key)));
  return copy;
}

function section(doc: Document, root: YAMLMap, key: string, value: unknown, comment?: string): void {
  const pair = doc.createPair(key, value);
  const keyNode = pair.key as Scalar;
  keyNode.spaceBefore = true;
  if (comment) keyNode.commentBefore = comment;
  root.add(pair);
}

function seqOf(items: readonly YAMLMap[]): YAMLSeq {
  const seq = new YAMLSeq();
  seq.items.push(...items);
  return seq;
}

function groupNode(doc: Document, group: ComposedGroup, images: ReadonlyMap<string, string>): YAMLMap {
  const node = new YAMLMap();
  node.add(doc.createPair("name", group.name));
  node.add(doc.createPair("provider", group.provider));
  const glob = new Scalar(group.glob);
  glob.type = Scalar.QUOTE_DOUBLE;
  const match = doc.createNode({ name: glob }) as YAMLMap;
  match.flow = true;
  node.add(doc.createPair("match", match));
  if (Object.keys(group.spec).length > 0) node.add(doc.createPair("spec", specNode(doc, group.spec, images)));
  node.commentBefore = [
    ` ${count(group.members.length, "server")}: ${names(group.members)}`,
    ...noteLines(group.members),
  ].join("\n");
  return node;
}

function instanceNode(doc: Document, instance: ComposedInstance, images: ReadonlyMap<string, string>): YAMLMap {
  const node = new YAMLMap();
  node.add(doc.createPair("provider", instance.provider));
  const server = instance.members[0];
  if ("id" in instance.selector) {
    const id = doc.createNode(written(instance.selector.id)) as Scalar;
    id.comment = ` ${server?.name === "" ? "no name" : `name ${commentText(server?.name ?? "")}: not unique in ${instance.provider}`}`;
    node.add(doc.createPair("id", id));
  } else {
    node.add(doc.createPair("name", written(instance.selector.name)));
  }
  if (Object.keys(instance.spec).length > 0) node.add(doc.createPair("spec", specNode(doc, instance.spec, images)));
  const notes = noteLines(instance.members);
  if (notes.length > 0) node.commentBefore = notes.join("\n");
  return node;
}

/** A spec in the fleet file's order: image, keyPair, metadata, userData (a block when it is text), power. */
function specNode(doc: Document, spec: ImportedSpec, images: ReadonlyMap<string, string>): YAMLMap {
  const node = new YAMLMap();
  if (spec.image) {
    const image = doc.createNode(
      "id" in spec.image ? { id: written(spec.image.id) } : { name: written(spec.image.name) },
    ) as YAMLMap;
    image.flow = true;
    const comment = "id" in spec.image ? images.get(spec.image.id) : undefined;
    if (comment) image.comment = ` ${commentText(comment)}`;
    node.add(doc.createPair("image", image));
  }
  if (spec.keyPair !== undefined)
    node.add(doc.createPair("keyPair", spec.keyPair === null ? null : written(spec.keyPair)));
  if (spec.metadata)
    node.add(
      doc.createPair(
        "metadata",
        doc.createNode(Object.fromEntries(Object.entries(spec.metadata).map(([k, v]) => [k, written(v)]))),
      ),
    );
  if (spec.userData !== undefined) node.add(doc.createPair("userData", userDataNode(doc, spec.userData)));
  if (spec.power) node.add(doc.createPair("power", spec.power));
  return node;
}

function userDataNode(doc: Document, userData: ImportedSpec["userData"]): unknown {
  if (userData === null || userData === undefined) return null;
  const node = doc.createNode("inline" in userData ? { inline: written(userData.inline) } : userData) as YAMLMap;
  const inline = node.get("inline", true);
  if (inline instanceof Scalar && String(inline.value).includes("\n")) inline.type = Scalar.BLOCK_LITERAL;
  return node;
}

/** What was not written for these servers and why; a note that only some of them have names those. */
function noteLines(members: readonly ImportedServer[]): string[] {
  const holders = new Map<string, ImportedServer[]>();
  for (const member of members) {
    for (const text of new Set(member.notes.map(noteText))) holders.set(text, [...(holders.get(text) ?? []), member]);
  }
  return [...holders.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(
      ([text, who]) =>
        ` ${text}${who.length === members.length && members.length > 1 ? " (all of them)" : members.length > 1 ? `: ${names(who)}` : ""}`,
    );
}

function noteText(note: ServerNote): string {
  return `${commentText(note.field)} is not managed: ${commentText(note.why)}`;
}

/** By provider (in the file's order), name, then id: the same servers always give the same bytes. */
function sortLeftOut(servers: readonly LeftOutServer[], providers: readonly string[]): LeftOutServer[] {
  const order = (s: LeftOutServer) => providers.indexOf(s.provider);
  const text = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...servers].sort((a, b) => order(a) - order(b) || text(a.name, b.name) || text(a.id, b.id));
}

function leftOutComment(servers: readonly LeftOutServer[]): string {
  const lines = servers.map(
    (s) =>
      `   ${s.provider}/${commentText(s.name === "" ? "(no name)" : s.name)} (id ${commentText(s.id)}): ${commentText(s.reason)}`,
  );
  return [" Left out: this file cannot express these servers, so nothing in it manages them.", ...lines].join("\n");
}

function names(servers: readonly ImportedServer[]): string {
  const shown = servers.slice(0, NAMES_SHOWN).map((s) => commentText(s.name === "" ? s.id : s.name));
  return servers.length > NAMES_SHOWN
    ? `${shown.join(", ")} and ${servers.length - NAMES_SHOWN} more`
    : shown.join(", ");
}

function count(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** Text from the cloud on one comment line: control characters (a newline would end the comment) become '?'. */
function commentText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, "?");
}

/** A fleet string that reads back as `text` (fleet strings are interpolated: `${env:` is written `$${env:`). */
function written(text: string): string {
  return fleetLiteral(text) ?? text;
}
