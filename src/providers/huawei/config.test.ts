import { describe, expect, it } from "vitest";
import { ReformError } from "../../model/errors.js";
import { resolveSettings } from "./config.js";

const KEYS = { HW_ACCESS_KEY: "AKEXAMPLE", HW_SECRET_KEY: "Secret-Key-Kn0wn" };

describe("Huawei provider settings", () => {
  it("takes region, project and keys from the HW_* variables and derives the endpoint from the region", () => {
    const s = resolveSettings(
      "hw",
      {},
      { ...KEYS, HW_REGION_NAME: "cn-north-4", HW_PROJECT_ID: "p1", HW_USER_ID: "u1" },
    );
    expect(s).toMatchObject({
      region: "cn-north-4",
      projectId: "p1",
      userId: "u1",
      ecsEndpoint: "https://ecs.cn-north-4.myhuaweicloud.com",
      imsEndpoint: "https://ims.cn-north-4.myhuaweicloud.com",
    });
    expect(s.credentials).toEqual({ accessKey: "AKEXAMPLE", secretKey: "Secret-Key-Kn0wn" });
    expect(s).toMatchObject({
      cloudInit: "auto",
      imageChange: "changeos",
      pollIntervalMs: 2000,
      jobTimeoutMs: 3_600_000,
      busyTimeoutMs: 600_000,
    });
  });

  it("prefers the fleet file's options, then HW_*, then OS_*", () => {
    const env = {
      OS_ACCESS_KEY: "OSAK",
      OS_SECRET_KEY: "OSSK",
      OS_REGION_NAME: "os-region",
      OS_PROJECT_ID: "os-p",
      HW_PROJECT_ID: "hw-p",
    };
    expect(resolveSettings("hw", {}, env)).toMatchObject({
      region: "os-region",
      projectId: "hw-p",
      credentials: { accessKey: "OSAK", secretKey: "OSSK" },
    });
    expect(resolveSettings("hw", { region: "ap-southeast-1", projectId: "cfg-p" }, env)).toMatchObject({
      region: "ap-southeast-1",
      projectId: "cfg-p",
    });
  });

  it("uses an endpoint override for ECS and IMS (trailing slashes dropped), and HW_CLOUD as the domain otherwise", () => {
    const base = { region: "eu-west-101", projectId: "p" };
    expect(resolveSettings("hw", { ...base, endpoint: "http://127.0.0.1:8800/huaweicloud/" }, KEYS)).toMatchObject({
      ecsEndpoint: "http://127.0.0.1:8800/huaweicloud",
      imsEndpoint: "http://127.0.0.1:8800/huaweicloud",
    });
    expect(resolveSettings("hw", base, { ...KEYS, HW_CLOUD: "myhuaweicloud.eu" }).ecsEndpoint).toBe(
      "https://ecs.eu-west-101.myhuaweicloud.eu",
    );
  });

  it("leaves the project id unset when none is given (the adapter asks IAM), and no error names it", () => {
    const s = resolveSettings("hw", { region: "cn-north-4" }, KEYS);
    expect(s.projectId).toBeUndefined();
    expect("projectId" in s).toBe(false);
    expect(s.iamEndpoint).toBe("https://iam.myhuaweicloud.com");
  });

  it("asks IAM at iamEndpoint, else at endpoint (one base URL, as the emulator), else at iam.{HW_CLOUD}", () => {
    const base = { region: "eu-west-101" };
    expect(resolveSettings("hw", base, { ...KEYS, HW_CLOUD: "myhuaweicloud.eu" }).iamEndpoint).toBe(
      "https://iam.myhuaweicloud.eu",
    );
    expect(resolveSettings("hw", { ...base, endpoint: "http://127.0.0.1:8800/huaweicloud/" }, KEYS).iamEndpoint).toBe(
      "http://127.0.0.1:8800/huaweicloud",
    );
    const both = resolveSettings(
      "hw",
      {
        ...base,
        endpoint: "https://ecs.eu-de.otc.t-systems.com",
        iamEndpoint: "https://iam.eu-de.otc.t-systems.com//",
      },
      KEYS,
    );
    expect(both).toMatchObject({
      ecsEndpoint: "https://ecs.eu-de.otc.t-systems.com",
      iamEndpoint: "https://iam.eu-de.otc.t-systems.com",
    });
  });

  it("carries a security token of temporary credentials", () => {
    expect(
      resolveSettings("hw", { region: "r", projectId: "p" }, { ...KEYS, HW_SECURITY_TOKEN: "tok" }).credentials
        .securityToken,
    ).toBe("tok");
  });

  it("reads the API choice, the image-change step and the timings from the options", () => {
    const s = resolveSettings(
      "hw",
      {
        region: "r",
        projectId: "p",
        cloudInit: "never",
        imageChange: "rebuild",
        pollIntervalMs: 50,
        jobTimeoutMs: 9000,
        busyTimeoutMs: 1000,
      },
      KEYS,
    );
    expect(s).toMatchObject({
      cloudInit: "never",
      imageChange: "rebuild",
      pollIntervalMs: 50,
      jobTimeoutMs: 9000,
      busyTimeoutMs: 1000,
    });
  });

  it("names everything that is missing, and never the secret key", () => {
    let error: unknown;
    try {
      resolveSettings("hw", {}, { HW_SECRET_KEY: "Secret-Key-Kn0wn" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ReformError);
    const message = (error as Error).message;
    expect(message).toBe("provider hw (huaweicloud): missing region (or HW_REGION_NAME), HW_ACCESS_KEY");
    expect(message).not.toContain("Secret-Key-Kn0wn");
  });
});
