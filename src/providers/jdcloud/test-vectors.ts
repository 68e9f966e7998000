/** JD Cloud signing vectors from shared/api/signing-vectors.json (produced by jdcloud-sdk-js 1.2.202, cross-checked with the Python SDK). Test data only. */
export interface JdVector {
  readonly name: string;
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | null;
  readonly accessKey: string;
  readonly secretKey: string;
  /** As given to the SDK: compact or ISO 8601. */
  readonly date: string;
  readonly nonce: string;
  readonly region: string;
  readonly service: string;
  readonly expected: {
    readonly url: string;
    readonly authorization: string;
    readonly signedHeaders: string;
    readonly canonicalRequest: string;
    readonly stringToSign: string;
  };
}

export const JD_VECTORS: readonly JdVector[] = [
  {
    name: "rebuild-instance",
    method: "POST",
    url: "https://vm.jdcloud-api.com/v1/regions/cn-north-1/instances/i-abcdefgh:rebuildInstance",
    headers: {
      "User-Agent": "JdcloudSdkNode/1.0.0  vm/1.5.2",
    },
    body: '{"password":"Passw0rd!","imageId":"img-12345678","keyNames":["kp1"]}',
    accessKey: "TESTAK",
    secretKey: "TESTSK",
    date: "2024-01-15T09:30:00Z",
    nonce: "ebf8b26d-c3be-402f-9f10-f8b6573fd823",
    region: "cn-north-1",
    service: "vm",
    expected: {
      url: "https://vm.jdcloud-api.com/v1/regions/cn-north-1/instances/i-abcdefgh%3ArebuildInstance",
      authorization:
        "JDCLOUD2-HMAC-SHA256 Credential=TESTAK/20240115/cn-north-1/vm/jdcloud2_request, SignedHeaders=accept;content-type;host;x-jdcloud-date;x-jdcloud-nonce, Signature=e9f287481aef0a6abd4f847db57ac1fd544659626d6080a81471d7cf1ee0d06d",
      signedHeaders: "accept;content-type;host;x-jdcloud-date;x-jdcloud-nonce",
      canonicalRequest:
        "POST\n/v1/regions/cn-north-1/instances/i-abcdefgh%3ArebuildInstance\n\naccept:application/json\ncontent-type:application/json\nhost:vm.jdcloud-api.com\nx-jdcloud-date:20240115T093000Z\nx-jdcloud-nonce:ebf8b26d-c3be-402f-9f10-f8b6573fd823\n\naccept;content-type;host;x-jdcloud-date;x-jdcloud-nonce\n67d9eac85e5b7b26b6480f2130fee93dd1ca09fdb98998a8280a229018549ecc",
      stringToSign:
        "JDCLOUD2-HMAC-SHA256\n20240115T093000Z\n20240115/cn-north-1/vm/jdcloud2_request\n80d78b325423cf052cc054d2599b6edc12271d8ad297fea2198e84feb19c19c5",
    },
  },
  {
    name: "describe-instances-filters",
    method: "GET",
    url: "https://vm.jdcloud-api.com/v1/regions/cn-north-1/instances?pageNumber=1&pageSize=100&filters.1.name=status&filters.1.values.1=running&filters.1.values.2=stopped&filters.2.name=name&filters.2.values.1=web%201",
    headers: {},
    body: null,
    accessKey: "TESTAK",
    secretKey: "TESTSK",
    date: "20240115T093000Z",
    nonce: "ebf8b26d-c3be-402f-9f10-f8b6573fd823",
    region: "cn-north-1",
    service: "vm",
    expected: {
      url: "https://vm.jdcloud-api.com/v1/regions/cn-north-1/instances?pageNumber=1&pageSize=100&filters.1.name=status&filters.1.values.1=running&filters.1.values.2=stopped&filters.2.name=name&filters.2.values.1=web%201",
      authorization:
        "JDCLOUD2-HMAC-SHA256 Credential=TESTAK/20240115/cn-north-1/vm/jdcloud2_request, SignedHeaders=accept;content-type;host;x-jdcloud-date;x-jdcloud-nonce, Signature=c26e4c0a4ea0d974f543ce5c710fd8ac21b0513573816e6ff82089015384d44e",
      signedHeaders: "accept;content-type;host;x-jdcloud-date;x-jdcloud-nonce",
      canonicalRequest:
        "GET\n/v1/regions/cn-north-1/instances\nfilters.1.name=status&filters.1.values.1=running&filters.1.values.2=stopped&filters.2.name=name&filters.2.values.1=web%201&pageNumber=1&pageSize=100\naccept:application/json\ncontent-type:application/json\nhost:vm.jdcloud-api.com\nx-jdcloud-date:20240115T093000Z\nx-jdcloud-nonce:ebf8b26d-c3be-402f-9f10-f8b6573fd823\n\naccept;content-type;host;x-jdcloud-date;x-jdcloud-nonce\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      stringToSign:
        "JDCLOUD2-HMAC-SHA256\n20240115T093000Z\n20240115/cn-north-1/vm/jdcloud2_request\n47d9c6c0db791a535c9ea5b9dc03d1b1610bc51e3ae0c0b3f4dbecfc7ef7784f",
    },
  },
  {
    name: "describe-instance",
    method: "GET",
    url: "https://vm.jdcloud-api.com/v1/regions/cn-north-1/instances/i-abcdefgh",
    headers: {},
    body: null,
    accessKey: "TESTAK",
    secretKey: "TESTSK",
    date: "20240115T093000Z",
    nonce: "ebf8b26d-c3be-402f-9f10-f8b6573fd823",
    region: "cn-north-1",
    service: "vm",
    expected: {
      url: "https://vm.jdcloud-api.com/v1/regions/cn-north-1/instances/i-abcdefgh",
      authorization:
        "JDCLOUD2-HMAC-SHA256 Credential=TESTAK/20240115/cn-north-1/vm/jdcloud2_request, SignedHeaders=accept;content-type;host;x-jdcloud-date;x-jdcloud-nonce, Signature=6a16ffb13b0e3c264644cc4ea1438d59bd7baeb55bdc6a9c6100fef56b17b31d",
      signedHeaders: "accept;content-type;host;x-jdcloud-date;x-jdcloud-nonce",
      canonicalRequest:
        "GET\n/v1/regions/cn-north-1/instances/i-abcdefgh\n\naccept:application/json\ncontent-type:application/json\nhost:vm.jdcloud-api.com\nx-jdcloud-date:20240115T093000Z\nx-jdcloud-nonce:ebf8b26d-c3be-402f-9f10-f8b6573fd823\n\naccept;content-type;host;x-jdcloud-date;x-jdcloud-nonce\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      stringToSign:
        "JDCLOUD2-HMAC-SHA256\n20240115T093000Z\n20240115/cn-north-1/vm/jdcloud2_request\nc83adb03e7fe1447158dc51d8bf50c954d9c4f547b3407b9a969a910dc8805b4",
    },
  },
  {
    name: "stop-instance-empty-object-body",
    method: "POST",
    url: "https://vm.jdcloud-api.com/v1/regions/cn-north-1/instances/i-abcdefgh:stopInstance",
    headers: {},
    body: "{}",
    accessKey: "TESTAK",
    secretKey: "TESTSK",
    date: "20240115T093000Z",
    nonce: "ebf8b26d-c3be-402f-9f10-f8b6573fd823",
    region: "cn-north-1",
    service: "vm",
    expected: {
      url: "https://vm.jdcloud-api.com/v1/regions/cn-north-1/instances/i-abcdefgh%3AstopInstance",
      authorization:
        "JDCLOUD2-HMAC-SHA256 Credential=TESTAK/20240115/cn-north-1/vm/jdcloud2_request, SignedHeaders=accept;content-type;host;x-jdcloud-date;x-jdcloud-nonce, Signature=9e4c38afa0f21101ea248c3c4260345a1f509448995dba127faed863ebe99760",
      signedHeaders: "accept;content-type;host;x-jdcloud-date;x-jdcloud-nonce",
      canonicalRequest:
        "POST\n/v1/regions/cn-north-1/instances/i-abcdefgh%3AstopInstance\n\naccept:application/json\ncontent-type:application/json\nhost:vm.jdcloud-api.com\nx-jdcloud-date:20240115T093000Z\nx-jdcloud-nonce:ebf8b26d-c3be-402f-9f10-f8b6573fd823\n\naccept;content-type;host;x-jdcloud-date;x-jdcloud-nonce\n44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
      stringToSign:
        "JDCLOUD2-HMAC-SHA256\n20240115T093000Z\n20240115/cn-north-1/vm/jdcloud2_request\n04c523930e4417cfcf9dffcc154789eed1a88beec420cb7107ecab5361ad75f7",
    },
  },
  {
    name: "modify-instance-attribute-metadata-userdata",
    method: "POST",
    url: "https://vm.jdcloud-api.com/v1/regions/cn-north-1/instances/i-abcdefgh:modifyInstanceAttribute",
    headers: {},
    body: '{"metadata":[{"key":"role","value":"web"}],"userdata":[{"key":"launch-script","value":"IyEvYmluL2Jhc2gKZWNobyBoZWxsbwo="}]}',
    accessKey: "TESTAK",
    secretKey: "TESTSK",
    date: "20240115T093000Z",
    nonce: "ebf8b26d-c3be-402f-9f10-f8b6573fd823",
    region: "cn-north-1",
    service: "vm",
    expected: {
      url: "https://vm.jdcloud-api.com/v1/regions/cn-north-1/instances/i-abcdefgh%3AmodifyInstanceAttribute",
      authorization:
        "JDCLOUD2-HMAC-SHA256 Credential=TESTAK/20240115/cn-north-1/vm/jdcloud2_request, SignedHeaders=accept;content-type;host;x-jdcloud-date;x-jdcloud-nonce, Signature=8dcdc5a4b8ccda8ba865b1f7ae8dc7e090d03b9b1e305f10574bfe9c1e8953e7",
      signedHeaders: "accept;content-type;host;x-jdcloud-date;x-jdcloud-nonce",
      canonicalRequest:
        "POST\n/v1/regions/cn-north-1/instances/i-abcdefgh%3AmodifyInstanceAttribute\n\naccept:application/json\ncontent-type:application/json\nhost:vm.jdcloud-api.com\nx-jdcloud-date:20240115T093000Z\nx-jdcloud-nonce:ebf8b26d-c3be-402f-9f10-f8b6573fd823\n\naccept;content-type;host;x-jdcloud-date;x-jdcloud-nonce\n6ec500c7ab7d35bf538c99d894341eb37b04b333431000860191b9fde8bdeba2",
      stringToSign:
        "JDCLOUD2-HMAC-SHA256\n20240115T093000Z\n20240115/cn-north-1/vm/jdcloud2_request\n1d138e8145b9492a99d0e9261dd5233cf41221b9df618f2113b692d8b9940ac0",
    },
  },
  {
    name: "loopback-emulator-with-port",
    method: "POST",
    url: "http://127.0.0.1:18080/v1/regions/cn-east-2/instances/i-abcdefgh:startInstance",
    headers: {},
    body: "{}",
    accessKey: "TESTAK",
    secretKey: "TESTSK",
    date: "20240115T093000Z",
    nonce: "ebf8b26d-c3be-402f-9f10-f8b6573fd823",
    region: "cn-east-2",
    service: "vm",
    expected: {
      url: "http://127.0.0.1:18080/v1/regions/cn-east-2/instances/i-abcdefgh%3AstartInstance",
      authorization:
        "JDCLOUD2-HMAC-SHA256 Credential=TESTAK/20240115/cn-east-2/vm/jdcloud2_request, SignedHeaders=accept;content-type;host;x-jdcloud-date;x-jdcloud-nonce, Signature=1e4a68e717801f726a17849c2378a60d3ce1a3efd4f355b1d031a7a562916880",
      signedHeaders: "accept;content-type;host;x-jdcloud-date;x-jdcloud-nonce",
      canonicalRequest:
        "POST\n/v1/regions/cn-east-2/instances/i-abcdefgh%3AstartInstance\n\naccept:application/json\ncontent-type:application/json\nhost:127.0.0.1:18080\nx-jdcloud-date:20240115T093000Z\nx-jdcloud-nonce:ebf8b26d-c3be-402f-9f10-f8b6573fd823\n\naccept;content-type;host;x-jdcloud-date;x-jdcloud-nonce\n44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
      stringToSign:
        "JDCLOUD2-HMAC-SHA256\n20240115T093000Z\n20240115/cn-east-2/vm/jdcloud2_request\n5edf24a3a0802d1c4bfaf8fdf3f5467d403de284a30b67201d4faa07fc1bc9b7",
    },
  },
];
