/** Huawei signing vectors from shared/api/signing-vectors.json (produced by @huaweicloud/huaweicloud-sdk-core 3.1.211, cross-checked with the Python SDK). Test data only. */
export interface HuaweiVector {
  readonly name: string;
  readonly input: {
    readonly method: string;
    readonly url: string;
    readonly headers: Readonly<Record<string, string>>;
    readonly body?: string;
    readonly accessKey: string;
    readonly secretKey: string;
    /** As given to the SDK: compact or ISO 8601. */
    readonly date: string;
    readonly projectId?: string;
    readonly securityToken?: string;
  };
  readonly expected: {
    readonly headers: Readonly<Record<string, string>>;
    readonly canonicalRequest: string;
    readonly bodySigned: string | null;
  };
}

export const HUAWEI_VECTORS: readonly HuaweiVector[] = [
  {
    name: "doc-example-get-vpcs",
    input: {
      method: "GET",
      url: "https://service.region.example.com/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs?limit=2&marker=13551d6b-755d-4757-b956-536f674975c0",
      headers: {
        "content-type": "application/json",
      },
      accessKey: "QTWAOYTTINDUT2QVKYUC",
      secretKey: "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc",
      date: "20191115T033655Z",
    },
    expected: {
      headers: {
        "content-type": "application/json",
        "X-Sdk-Date": "20191115T033655Z",
        host: "service.region.example.com",
        Authorization:
          "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe",
      },
      canonicalRequest:
        "GET\n/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs/\nlimit=2&marker=13551d6b-755d-4757-b956-536f674975c0\ncontent-type:application/json\nhost:service.region.example.com\nx-sdk-date:20191115T033655Z\n\ncontent-type;host;x-sdk-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      bodySigned: null,
    },
  },
  {
    name: "list-servers-detail-query",
    input: {
      method: "GET",
      url: "https://ecs.cn-north-4.myhuaweicloud.com/v1/0123456789abcdef0123456789abcdef/cloudservers/detail?offset=1&limit=100&name=web%201&status=ACTIVE",
      headers: {
        "content-type": "application/json",
      },
      accessKey: "QTWAOYTTINDUT2QVKYUC",
      secretKey: "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc",
      date: "2024-01-15T09:30:00Z",
      projectId: "0123456789abcdef0123456789abcdef",
    },
    expected: {
      headers: {
        "X-Project-Id": "0123456789abcdef0123456789abcdef",
        "content-type": "application/json",
        "X-Sdk-Date": "20240115T093000Z",
        host: "ecs.cn-north-4.myhuaweicloud.com",
        Authorization:
          "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=7cb176b21d2de1958aa3b1fcd73f641aaf24224cb54415cb47e47dfc7c282b41",
      },
      canonicalRequest:
        "GET\n/v1/0123456789abcdef0123456789abcdef/cloudservers/detail/\nlimit=100&name=web%201&offset=1&status=ACTIVE\ncontent-type:application/json\nhost:ecs.cn-north-4.myhuaweicloud.com\nx-project-id:0123456789abcdef0123456789abcdef\nx-sdk-date:20240115T093000Z\n\ncontent-type;host;x-project-id;x-sdk-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      bodySigned: null,
    },
  },
  {
    name: "list-servers-detail-repeated-server-id",
    input: {
      method: "GET",
      url: "https://ecs.cn-north-4.myhuaweicloud.com/v1/0123456789abcdef0123456789abcdef/cloudservers/detail?server_id=ffff0000-0000-0000-0000-000000000002&server_id=aaaa0000-0000-0000-0000-000000000001&limit=100",
      headers: {
        "content-type": "application/json",
      },
      accessKey: "QTWAOYTTINDUT2QVKYUC",
      secretKey: "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc",
      date: "2024-01-15T09:30:00Z",
      projectId: "0123456789abcdef0123456789abcdef",
    },
    expected: {
      headers: {
        "X-Project-Id": "0123456789abcdef0123456789abcdef",
        "content-type": "application/json",
        "X-Sdk-Date": "20240115T093000Z",
        host: "ecs.cn-north-4.myhuaweicloud.com",
        Authorization:
          "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=ece23ca59ddda4aae6c8a7027d42bcebd47da398b6e4e79bfca9aa149ec4206e",
      },
      canonicalRequest:
        "GET\n/v1/0123456789abcdef0123456789abcdef/cloudservers/detail/\nlimit=100&server_id=aaaa0000-0000-0000-0000-000000000001&server_id=ffff0000-0000-0000-0000-000000000002\ncontent-type:application/json\nhost:ecs.cn-north-4.myhuaweicloud.com\nx-project-id:0123456789abcdef0123456789abcdef\nx-sdk-date:20240115T093000Z\n\ncontent-type;host;x-project-id;x-sdk-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      bodySigned: null,
    },
  },
  {
    name: "show-job",
    input: {
      method: "GET",
      url: "https://ecs.cn-north-4.myhuaweicloud.com/v1/0123456789abcdef0123456789abcdef/jobs/ff80808288d41e1b018990260955686a",
      headers: {
        "content-type": "application/json",
      },
      accessKey: "QTWAOYTTINDUT2QVKYUC",
      secretKey: "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc",
      date: "2024-01-15T09:30:00Z",
      projectId: "0123456789abcdef0123456789abcdef",
    },
    expected: {
      headers: {
        "X-Project-Id": "0123456789abcdef0123456789abcdef",
        "content-type": "application/json",
        "X-Sdk-Date": "20240115T093000Z",
        host: "ecs.cn-north-4.myhuaweicloud.com",
        Authorization:
          "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=3e414bf9955c65bf51c2fffa1ccf326da74270ce6634b6edc4d3ed54c66ab0fa",
      },
      canonicalRequest:
        "GET\n/v1/0123456789abcdef0123456789abcdef/jobs/ff80808288d41e1b018990260955686a/\n\ncontent-type:application/json\nhost:ecs.cn-north-4.myhuaweicloud.com\nx-project-id:0123456789abcdef0123456789abcdef\nx-sdk-date:20240115T093000Z\n\ncontent-type;host;x-project-id;x-sdk-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      bodySigned: null,
    },
  },
  {
    name: "reinstallos-v2-with-user-data",
    input: {
      method: "POST",
      url: "https://ecs.cn-north-4.myhuaweicloud.com/v2/0123456789abcdef0123456789abcdef/cloudservers/a0a0a0a0-1111-2222-3333-444444444444/reinstallos",
      headers: {
        "content-type": "application/json",
      },
      body: '{"os-reinstall":{"keyname":"KeyPair-350b","userid":"7e25b1da389f4697a79df3a0e5bd494e","mode":"withStopServer","metadata":{"user_data":"IyEvYmluL2Jhc2gKZWNobyBoZWxsbwo="}}}',
      accessKey: "QTWAOYTTINDUT2QVKYUC",
      secretKey: "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc",
      date: "20240115T093000Z",
      projectId: "0123456789abcdef0123456789abcdef",
    },
    expected: {
      headers: {
        "X-Project-Id": "0123456789abcdef0123456789abcdef",
        "content-type": "application/json",
        "X-Sdk-Date": "20240115T093000Z",
        host: "ecs.cn-north-4.myhuaweicloud.com",
        Authorization:
          "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=4b92100557e9b9575fdf2fb498089e008e6725fe70de91f22682d5dcf49c4ea0",
      },
      canonicalRequest:
        "POST\n/v2/0123456789abcdef0123456789abcdef/cloudservers/a0a0a0a0-1111-2222-3333-444444444444/reinstallos/\n\ncontent-type:application/json\nhost:ecs.cn-north-4.myhuaweicloud.com\nx-project-id:0123456789abcdef0123456789abcdef\nx-sdk-date:20240115T093000Z\n\ncontent-type;host;x-project-id;x-sdk-date\n1dec93cbbc19f485051b1297e271736f12113ce57dea47aa832a7f20fb31e3dc",
      bodySigned:
        '{"os-reinstall":{"keyname":"KeyPair-350b","userid":"7e25b1da389f4697a79df3a0e5bd494e","mode":"withStopServer","metadata":{"user_data":"IyEvYmluL2Jhc2gKZWNobyBoZWxsbwo="}}}',
    },
  },
  {
    name: "changeos-v2",
    input: {
      method: "POST",
      url: "https://ecs.cn-north-4.myhuaweicloud.com/v2/0123456789abcdef0123456789abcdef/cloudservers/a0a0a0a0-1111-2222-3333-444444444444/changeos",
      headers: {
        "content-type": "application/json",
      },
      body: '{"os-change":{"keyname":"KeyPair-350b","userid":"7e25b1da389f4697a79df3a0e5bd494e","imageid":"e215580f-73ad-429d-b6f2-5433947433b0","mode":"withStopServer"}}',
      accessKey: "QTWAOYTTINDUT2QVKYUC",
      secretKey: "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc",
      date: "20240115T093000Z",
      projectId: "0123456789abcdef0123456789abcdef",
    },
    expected: {
      headers: {
        "X-Project-Id": "0123456789abcdef0123456789abcdef",
        "content-type": "application/json",
        "X-Sdk-Date": "20240115T093000Z",
        host: "ecs.cn-north-4.myhuaweicloud.com",
        Authorization:
          "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=4aa2f9653dbb6a718bfb0ea1fe6dcfbe39b8ac970906813628d218ae9f9b74bf",
      },
      canonicalRequest:
        "POST\n/v2/0123456789abcdef0123456789abcdef/cloudservers/a0a0a0a0-1111-2222-3333-444444444444/changeos/\n\ncontent-type:application/json\nhost:ecs.cn-north-4.myhuaweicloud.com\nx-project-id:0123456789abcdef0123456789abcdef\nx-sdk-date:20240115T093000Z\n\ncontent-type;host;x-project-id;x-sdk-date\n6509c27ed3cb42a6076b74b4c9b65f41dd575b2618b4758787373445036daff8",
      bodySigned:
        '{"os-change":{"keyname":"KeyPair-350b","userid":"7e25b1da389f4697a79df3a0e5bd494e","imageid":"e215580f-73ad-429d-b6f2-5433947433b0","mode":"withStopServer"}}',
    },
  },
  {
    name: "batch-reboot-action",
    input: {
      method: "POST",
      url: "https://ecs.cn-north-4.myhuaweicloud.com/v1/0123456789abcdef0123456789abcdef/cloudservers/action",
      headers: {
        "content-type": "application/json",
      },
      body: '{"reboot":{"type":"SOFT","servers":[{"id":"a0a0a0a0-1111-2222-3333-444444444444"},{"id":"b1b1b1b1-1111-2222-3333-444444444444"}]}}',
      accessKey: "QTWAOYTTINDUT2QVKYUC",
      secretKey: "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc",
      date: "20240115T093000Z",
      projectId: "0123456789abcdef0123456789abcdef",
    },
    expected: {
      headers: {
        "X-Project-Id": "0123456789abcdef0123456789abcdef",
        "content-type": "application/json",
        "X-Sdk-Date": "20240115T093000Z",
        host: "ecs.cn-north-4.myhuaweicloud.com",
        Authorization:
          "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=b90ac1e7980fd6d5c0e6520eaef9f3242d4f9a9d2b3ca9bad72d1e5e6dbd2baa",
      },
      canonicalRequest:
        "POST\n/v1/0123456789abcdef0123456789abcdef/cloudservers/action/\n\ncontent-type:application/json\nhost:ecs.cn-north-4.myhuaweicloud.com\nx-project-id:0123456789abcdef0123456789abcdef\nx-sdk-date:20240115T093000Z\n\ncontent-type;host;x-project-id;x-sdk-date\na8ae1c6c797d09604af3e3178cb47ea59913f84b644ef5247f3c465760080095",
      bodySigned:
        '{"reboot":{"type":"SOFT","servers":[{"id":"a0a0a0a0-1111-2222-3333-444444444444"},{"id":"b1b1b1b1-1111-2222-3333-444444444444"}]}}',
    },
  },
  {
    name: "nova-rebuild-with-microversion-header",
    input: {
      method: "POST",
      url: "https://ecs.cn-north-4.myhuaweicloud.com/v2.1/0123456789abcdef0123456789abcdef/servers/a0a0a0a0-1111-2222-3333-444444444444/action",
      headers: {
        "content-type": "application/json",
        "X-OpenStack-Nova-API-Version": "2.57",
      },
      body: '{"rebuild":{"imageRef":"e215580f-73ad-429d-b6f2-5433947433b0","key_name":"KeyPair-350b","user_data":"IyEvYmluL2Jhc2gKZWNobyBoZWxsbwo=","metadata":{"role":"web"}}}',
      accessKey: "QTWAOYTTINDUT2QVKYUC",
      secretKey: "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc",
      date: "20240115T093000Z",
      projectId: "0123456789abcdef0123456789abcdef",
    },
    expected: {
      headers: {
        "X-Project-Id": "0123456789abcdef0123456789abcdef",
        "content-type": "application/json",
        "X-OpenStack-Nova-API-Version": "2.57",
        "X-Sdk-Date": "20240115T093000Z",
        host: "ecs.cn-north-4.myhuaweicloud.com",
        Authorization:
          "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-openstack-nova-api-version;x-project-id;x-sdk-date, Signature=588100c4f244d51e0e12981fbb335881ce6b6534eec47da23f93b1ba1b0325f3",
      },
      canonicalRequest:
        "POST\n/v2.1/0123456789abcdef0123456789abcdef/servers/a0a0a0a0-1111-2222-3333-444444444444/action/\n\ncontent-type:application/json\nhost:ecs.cn-north-4.myhuaweicloud.com\nx-openstack-nova-api-version:2.57\nx-project-id:0123456789abcdef0123456789abcdef\nx-sdk-date:20240115T093000Z\n\ncontent-type;host;x-openstack-nova-api-version;x-project-id;x-sdk-date\n0187bf65e0eee093589f686ede506c50b8a595808f1500105358f7bb4b278872",
      bodySigned:
        '{"rebuild":{"imageRef":"e215580f-73ad-429d-b6f2-5433947433b0","key_name":"KeyPair-350b","user_data":"IyEvYmluL2Jhc2gKZWNobyBoZWxsbwo=","metadata":{"role":"web"}}}',
    },
  },
  {
    name: "loopback-emulator-with-port-and-security-token",
    input: {
      method: "POST",
      url: "http://127.0.0.1:18443/v1/0123456789abcdef0123456789abcdef/cloudservers/a0a0a0a0-1111-2222-3333-444444444444/metadata",
      headers: {
        "content-type": "application/json",
      },
      body: '{"metadata":{"reform.user_data.sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}}',
      accessKey: "QTWAOYTTINDUT2QVKYUC",
      secretKey: "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc",
      date: "20240115T093000Z",
      projectId: "0123456789abcdef0123456789abcdef",
      securityToken: "test-security-token",
    },
    expected: {
      headers: {
        "X-Security-Token": "test-security-token",
        "X-Project-Id": "0123456789abcdef0123456789abcdef",
        "content-type": "application/json",
        "X-Sdk-Date": "20240115T093000Z",
        host: "127.0.0.1:18443",
        Authorization:
          "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-project-id;x-sdk-date;x-security-token, Signature=3f30bf09b725a5e6f892225e6b8300d6d61e5512ce43cfee68fe5bd8f01ae3ab",
      },
      canonicalRequest:
        "POST\n/v1/0123456789abcdef0123456789abcdef/cloudservers/a0a0a0a0-1111-2222-3333-444444444444/metadata/\n\ncontent-type:application/json\nhost:127.0.0.1:18443\nx-project-id:0123456789abcdef0123456789abcdef\nx-sdk-date:20240115T093000Z\nx-security-token:test-security-token\n\ncontent-type;host;x-project-id;x-sdk-date;x-security-token\nf84e38f13c44307deb9ed5138e47e8ad0e55c1b7826c1ac984f57e767c64eaac",
      bodySigned:
        '{"metadata":{"reform.user_data.sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}}',
    },
  },
];
