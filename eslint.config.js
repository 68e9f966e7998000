import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  // src/**/*.generated.js: ajv standalone code written by scripts/compile-validators.js.
  { ignores: ["dist/**", "dist-bench/**", "node_modules/**", "coverage/**", "src/**/*.generated.js"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    rules: {
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-restricted-syntax": [
        "error",
        { selector: "ExportDefaultDeclaration", message: "No default exports: name what you export." },
      ],
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex:
                "^(fs|path|url|http|https|net|crypto|os|child_process|util|events|stream|timers|zlib|assert|readline|tty|process)(/.*)?$",
              message: "Use the node: protocol for built-ins.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["src/**/*.ts"],
    ignores: ["src/cli/**"],
    rules: { "no-console": "error" },
  },
  {
    files: ["bin/**/*.js", "eslint.config.js", "scripts/**/*.js"],
    languageOptions: { globals: { process: "readonly", console: "readonly", Buffer: "readonly" } },
  },
  {
    // bin/ is CommonJS (bin/package.json): Node starts it without its ES module loader.
    files: ["bin/**/*.js"],
    languageOptions: {
      sourceType: "commonjs",
      globals: { require: "readonly", module: "writable", __dirname: "readonly" },
    },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    files: ["vitest.config.ts"],
    rules: { "no-restricted-syntax": "off" },
  },
);
