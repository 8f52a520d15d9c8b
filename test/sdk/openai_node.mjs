// The official OpenAI Node SDK through the gateway, with OpenRouter's extra
// body members (the SDK sends undocumented params as written): "models"
// falls back, "usage" asks for the cost. It prints what it read as one
// JSON line for test/sdk's TestOpenAINodeSDKRoutePerRequest.
import OpenAI from "openai";

const client = new OpenAI({ baseURL: process.env.TOLLGATE_URL + "/v1", apiKey: process.env.TOLLGATE_KEY, maxRetries: 0 });
const messages = [{ role: "user", content: "hello gateway" }];

const { data, response } = await client.chat.completions
	.create({ model: "down", messages, models: ["gpt"], usage: { include: true } })
	.withResponse();

let streamed = null;
const stream = await client.chat.completions.create({ model: "gpt", messages, stream: true, usage: { include: true } });
for await (const chunk of stream) {
	if (chunk.usage) streamed = chunk.usage;
}

console.log(JSON.stringify({
	model: response.headers.get("x-tollgate-model"),
	provider: data.provider,
	usage: data.usage,
	streamed,
}));
