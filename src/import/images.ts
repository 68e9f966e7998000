import type { ImageResolution } from "../model/provider.js";
import { fleetLiteral } from "./literal.js";
import type { ImageChoice } from "./types.js";

/**
 * How an image is written (pure), from what the cloud's image API said of its id and of its name: by name only when
 * the name resolves to this very image (as plan resolves it), else by id with the name in a comment.
 */
export function chooseImage(
  byId: ImageResolution["result"] | undefined,
  byName: ImageResolution["result"] | undefined,
): ImageChoice {
  if (byId === undefined) return { type: "missing", why: "the image API was not asked" };
  if (byId.type === "error") return { type: "missing", why: byId.message };
  const name = byId.name;
  if (name === "") return { type: "id", name, why: "the image has no name" };
  if (fleetLiteral(name) === undefined)
    return { type: "id", name, why: "its name holds '${env:' text that a fleet file cannot write" };
  if (byName?.type === "found" && byName.id === byId.id) return { type: "name", name };
  const why =
    byName === undefined
      ? "the name was not looked up"
      : byName.type === "error"
        ? byName.message
        : `the name resolves to image ${byName.id}`;
  return { type: "id", name, why };
}

/** The comment beside an image written by id. */
export function imageComment(choice: ImageChoice): string | undefined {
  if (choice.type !== "id") return undefined;
  return choice.name === "" ? choice.why : `${choice.name} (by id: ${choice.why})`;
}
