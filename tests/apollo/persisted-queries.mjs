// Apollo Client's persisted-query link against a Gongzhi server, as a partner's app uses it:
// `node persisted-queries.mjs URL [TOKEN]`. Runs one query twice and prints, as one JSON line,
// both answers and what each HTTP request carried (the text, the hash, or both).
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client/core/index.js";
import { createPersistedQueryLink } from "@apollo/client/link/persisted-queries/index.js";
import { createHash } from "node:crypto";

const [url, token] = process.argv.slice(2);
const sent = [];
const link = createPersistedQueryLink({
  sha256: (text) => createHash("sha256").update(text).digest("hex"),
}).concat(
  new HttpLink({
    uri: url,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    fetch: async (uri, options) => {
      const body = JSON.parse(options.body);
      sent.push({ query: body.query ?? null, hash: body.extensions?.persistedQuery?.sha256Hash ?? null });
      return fetch(uri, options);
    },
  }),
);
const client = new ApolloClient({ link, cache: new InMemoryCache() });
const query = gql`
  query ApolloWishes {
    microWishes(first: 2) {
      nodes {
        id
        title
      }
    }
  }
`;
const answers = [];
for (let run = 0; run < 2; run++) {
  try {
    const { data } = await client.query({ query, fetchPolicy: "network-only" });
    answers.push({ data });
  } catch (error) {
    // The server's errors, whether Apollo reports them as GraphQL errors or with the status.
    const errors = error.graphQLErrors?.length ? error.graphQLErrors : error.networkError?.result?.errors;
    answers.push({ error: error.message, codes: (errors ?? []).map((e) => e.extensions?.code) });
  }
}
console.log(JSON.stringify({ answers, sent }));
