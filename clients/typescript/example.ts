/**
 * A frontend's first steps with the generated client (openapi-fetch over schema.d.ts):
 * sign in, list members, create an organisation and rename it with a PATCH sent the
 * way a WeChat mini-program must (POST + X-HTTP-Method-Override), handling problems.
 *
 * Checked in CI by `make ts-client` (tsc --strict, no `any`). Run against `make run`
 * with any TypeScript runner, e.g. `npx tsx example.ts`.
 */
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";

type Problem = components["schemas"]["Problem"];
type MemberRead = components["schemas"]["MemberRead"];

const BASE_URL = "http://127.0.0.1:8000";

/** wx.request has no PATCH: send it as POST with the override header (same semantics). */
const patchAsPost: Middleware = {
  async onRequest({ request }) {
    if (request.method !== "PATCH") return undefined;
    const headers = new Headers(request.headers);
    headers.set("X-HTTP-Method-Override", "PATCH");
    return new Request(request.url, {
      method: "POST",
      headers,
      body: await request.text(),
    });
  },
};

/** Every error the API answers is an RFC 9457 problem with a stable `code`. */
function explain(problem: Problem): string {
  const fields = (problem.errors ?? []).map((e) => `${e.field}: ${e.message}`);
  return [`${problem.status} ${problem.code}: ${problem.title}`, ...fields].join("\n  ");
}

class ApiProblem extends Error {
  constructor(readonly problem: Problem) {
    super(explain(problem));
  }
}

function orThrow<T>(result: { data?: T; error?: Problem }): T {
  if (result.error !== undefined) throw new ApiProblem(result.error);
  if (result.data === undefined) throw new Error("empty response");
  return result.data;
}

async function main(username: string, password: string): Promise<void> {
  const client = createClient<paths>({
    baseUrl: BASE_URL,
    headers: { "Accept-Language": "zh-CN" },
  });
  client.use(patchAsPost);

  // OAuth2 password form: urlencoded, not JSON.
  const tokens = orThrow(
    await client.POST("/api/v1/auth/token", {
      body: { username, password },
      bodySerializer: (body) => new URLSearchParams({ username: body.username, password: body.password }),
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    }),
  );
  client.use({
    onRequest({ request }) {
      request.headers.set("Authorization", `Bearer ${tokens.access_token}`);
      return request;
    },
  });

  const me = orThrow(await client.GET("/api/v1/auth/me"));
  console.log(`signed in as ${me.username} (${me.role}) at ${me.org_name}`);

  // Every list answers the same envelope: items, next_cursor, total (on request); its
  // `sort` orders are an enum, so a typo is a compile error.
  const page = orThrow(
    await client.GET("/api/v1/members", {
      params: { query: { limit: 5, sort: "-created_at", include_total: true } },
    }),
  );
  const members: MemberRead[] = page.items;
  for (const member of members) console.log(`${member.name} ${member.status}`);
  console.log(`${page.total ?? "?"} members in all`);
  if (page.next_cursor) console.log("more on the next page");

  const created = await client.POST("/api/v1/organisations", {
    body: {
      code: `TS-${Date.now()}`,
      name: "示例党支部",
      type: "branch",
      parent_id: me.org_id,
    },
  });
  if (created.error !== undefined) {
    // A branch cannot sit under every kind of organisation: the problem says why.
    console.log(`not created:\n  ${explain(created.error)}`);
    return;
  }
  const org = created.data;
  const etag = created.response.headers.get("ETag") ?? "*";

  const renamed = orThrow(
    await client.PATCH("/api/v1/organisations/{org_id}", {
      params: { path: { org_id: org.id }, header: { "If-Match": etag } },
      body: { name: "示例党支部（已改名）" },
    }),
  );
  console.log(`renamed ${renamed.code} to ${renamed.name}`);
}

main("county_admin", "Dangjian-demo-2026").catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
});
