using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace FashionFunctions.Infra.Tests;

/// <summary>
/// A value only Azure knows at deployment time (a resource's runtime properties, a list call, a lambda): kept as the
/// text of the expression, with its arguments evaluated, so that a test can still tell which resource it names.
/// </summary>
internal sealed record Opaque(string Text)
{
    public override string ToString() => $"⟨{Text}⟩";
}

/// <summary>
/// Evaluates the ARM template expressions Bicep emits, for the functions the templates here use, so that tests can
/// ask what a deployment with given parameters would create: which resources (conditions and copy loops resolved,
/// modules followed), at which scopes, with which properties. Values are string, long, bool, null,
/// <see cref="List{T}"/>, <see cref="Dictionary{TKey,TValue}"/> (case-insensitive keys) or <see cref="Opaque"/>.
/// </summary>
internal sealed class ArmScope
{
    private const string SubscriptionId = "00000000-0000-0000-0000-000000000000";

    private readonly JsonElement template;
    private readonly Dictionary<string, object?> parameters;
    private readonly Dictionary<string, object?> variables = new(StringComparer.OrdinalIgnoreCase);
    private readonly string resourceGroup;

    public ArmScope(JsonElement template, IReadOnlyDictionary<string, object?> given, string resourceGroup = "rg", ArmScope? parent = null)
    {
        this.template = template;
        this.resourceGroup = resourceGroup;
        Parent = parent;
        parameters = new(given, StringComparer.OrdinalIgnoreCase);
        if (template.TryGetProperty("parameters", out var declared))
        {
            foreach (var parameter in declared.EnumerateObject())
            {
                if (!parameters.ContainsKey(parameter.Name))
                {
                    parameters[parameter.Name] = parameter.Value.TryGetProperty("defaultValue", out var fallback)
                        ? Evaluate(fallback, null)
                        : throw new InvalidOperationException($"parameter '{parameter.Name}' has no value and no default");
                }
            }
        }
    }

    public ArmScope? Parent { get; }

    /// <summary>The resources this scope and its modules deploy: existing ones left out, conditions and copy loops
    /// resolved.</summary>
    public IEnumerable<ArmResource> Deployed()
    {
        foreach (var (symbol, resource) in ResourceDefinitions())
        {
            if (resource.TryGetProperty("existing", out var existing) && existing.GetBoolean())
            {
                continue;
            }

            int count = 1;
            if (resource.TryGetProperty("copy", out var copy))
            {
                count = (int)(long)Evaluate(copy.GetProperty("count"), null)!;
            }

            for (int i = 0; i < count; i++)
            {
                int? index = resource.TryGetProperty("copy", out _) ? i : null;
                if (resource.TryGetProperty("condition", out var condition) && Evaluate(condition, index) is not true)
                {
                    continue;
                }

                var deployed = new ArmResource(this, symbol, resource, index);
                yield return deployed;
                if (deployed.Type == "Microsoft.Resources/deployments")
                {
                    foreach (var inner in deployed.Module().Deployed())
                    {
                        yield return inner;
                    }
                }
            }
        }
    }

    public object? Evaluate(JsonElement element, int? copyIndex) => element.ValueKind switch
    {
        JsonValueKind.String => EvaluateString(element.GetString()!, copyIndex),
        JsonValueKind.Number => element.GetInt64(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Null => null,
        JsonValueKind.Array => element.EnumerateArray().Select(e => Evaluate(e, copyIndex)).ToList(),
        JsonValueKind.Object => element.EnumerateObject().ToDictionary(p => Render(EvaluateString(p.Name, copyIndex)), p => Evaluate(p.Value, copyIndex), StringComparer.OrdinalIgnoreCase),
        _ => throw new NotSupportedException(element.ValueKind.ToString()),
    };

    private object? EvaluateString(string text, int? copyIndex)
    {
        if (text.StartsWith("[[", StringComparison.Ordinal))
        {
            return text[1..];
        }

        if (!text.StartsWith('[') || !text.EndsWith(']'))
        {
            return text;
        }

        var parser = new Parser(text[1..^1]);
        var expression = parser.ParseExpression();
        parser.ExpectEnd();
        return Apply(expression, copyIndex);
    }

    private IEnumerable<(string Symbol, JsonElement Resource)> ResourceDefinitions()
    {
        var resources = template.GetProperty("resources");
        return resources.ValueKind == JsonValueKind.Object
            ? resources.EnumerateObject().Select(p => (p.Name, p.Value))
            : resources.EnumerateArray().Select((r, i) => ($"#{i}", r));
    }

    private object? Variable(string name)
    {
        if (!variables.TryGetValue(name, out object? value))
        {
            value = Evaluate(template.GetProperty("variables").GetProperty(name), null);
            variables[name] = value;
        }

        return value;
    }

    /// <summary>reference('symbol') in a languageVersion 2.0 template: a module's outputs, or, for any other
    /// resource, its runtime state.</summary>
    private object? Reference(string symbol)
    {
        var found = ResourceDefinitions().Where(r => r.Symbol == symbol).Select(r => r.Resource).ToList();
        if (found.Count == 1 && found[0].GetProperty("type").GetString() == "Microsoft.Resources/deployments")
        {
            var module = new ArmResource(this, symbol, found[0], null).Module();
            var outputs = module.template.TryGetProperty("outputs", out var declared)
                ? declared.EnumerateObject().ToDictionary(
                    o => o.Name,
                    o => (object?)new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase) { ["value"] = module.Evaluate(o.Value.GetProperty("value"), null) },
                    StringComparer.OrdinalIgnoreCase)
                : [];
            return new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase) { ["outputs"] = outputs };
        }

        if (found.Count != 1)
        {
            return new Opaque($"reference({symbol})");
        }

        string type = found[0].GetProperty("type").GetString()!;
        var names = Render(Evaluate(found[0].GetProperty("name"), null)).Split('/');
        return new Opaque($"reference({ResourceId([type, .. names], subscriptionLevel: false)})");
    }

    private string ResourceId(IReadOnlyList<object?> args, bool subscriptionLevel)
    {
        string type = (string)args[0]!;
        var names = args.Skip(1).Select(Render).ToList();
        var segments = type.Split('/');
        var path = new StringBuilder($"{segments[0]}/{segments[1]}/{names[0]}");
        for (int i = 2; i < segments.Length; i++)
        {
            path.Append('/').Append(segments[i]).Append('/').Append(names[i - 1]);
        }

        string prefix = subscriptionLevel ? $"/subscriptions/{SubscriptionId}" : $"/subscriptions/{SubscriptionId}/resourceGroups/{resourceGroup}";
        return $"{prefix}/providers/{path}";
    }

    private object? Apply(Expression expression, int? copyIndex)
    {
        object? value = expression switch
        {
            Literal literal => literal.Value,
            Call call => Invoke(call, copyIndex),
            _ => throw new NotSupportedException(expression.GetType().Name),
        };

        foreach (var accessor in expression.Accessors)
        {
            object? key = accessor is Property property ? property.Name : Apply(((Index)accessor).Key, copyIndex);
            value = (value, key) switch
            {
                (Opaque opaque, _) => new Opaque($"{opaque.Text}.{Render(key)}"),
                (Dictionary<string, object?> map, string name) => map.TryGetValue(name, out var member) ? member : throw new KeyNotFoundException(name),
                (List<object?> list, long i) => list[(int)i],
                _ => throw new InvalidOperationException($"cannot read {Render(key)} of {Render(value)}"),
            };
        }

        return value;
    }

    private object? Invoke(Call call, int? copyIndex)
    {
        switch (call.Name.ToLowerInvariant())
        {
            case "if":
                return Apply(call.Arguments[0], copyIndex) switch
                {
                    true => Apply(call.Arguments[1], copyIndex),
                    false => Apply(call.Arguments[2], copyIndex),
                    var other => new Opaque($"if({Render(other)}, …)"),
                };
            case "copyindex":
                return (long)(copyIndex ?? throw new InvalidOperationException("copyIndex() outside a copy loop"))
                    + (call.Arguments.Count > 0 && Apply(call.Arguments[^1], copyIndex) is long offset ? offset : 0);
        }

        var args = call.Arguments.Select(a => Apply(a, copyIndex)).ToList();
        if (args.Any(a => a is Opaque) && call.Name is not ("format" or "concat" or "createObject" or "createArray" or "union" or "string"))
        {
            return new Opaque($"{call.Name}({string.Join(", ", args.Select(Render))})");
        }

        return call.Name.ToLowerInvariant() switch
        {
            "parameters" => parameters[(string)args[0]!],
            "variables" => Variable((string)args[0]!),
            "reference" when args.Count == 1 && args[0] is string symbol && !symbol.Contains('/') => Reference(symbol),
            "true" => true,
            "false" => false,
            "null" => null,
            "not" => !(bool)args[0]!,
            "and" => args.All(a => (bool)a!),
            "or" => args.Any(a => (bool)a!),
            "equals" => Equals(args[0], args[1]),
            "empty" => args[0] switch
            {
                null => true,
                string s => s.Length == 0,
                List<object?> list => list.Count == 0,
                Dictionary<string, object?> map => map.Count == 0,
                var other => throw new InvalidOperationException($"empty({Render(other)})"),
            },
            "length" => args[0] switch
            {
                string s => (long)s.Length,
                List<object?> list => list.Count,
                Dictionary<string, object?> map => map.Count,
                var other => throw new InvalidOperationException($"length({Render(other)})"),
            },
            "tolower" => ((string)args[0]!).ToLowerInvariant(),
            "toupper" => ((string)args[0]!).ToUpperInvariant(),
            "startswith" => ((string)args[0]!).StartsWith((string)args[1]!, StringComparison.OrdinalIgnoreCase),
            "string" => Render(args[0]),
            "concat" when args.All(a => a is List<object?>) => args.SelectMany(a => (List<object?>)a!).ToList(),
            "concat" => string.Concat(args.Select(Render)),
            "format" => string.Format(CultureInfo.InvariantCulture, (string)args[0]!, args.Skip(1).Select(Render).ToArray<object>()),
            "createarray" => args,
            "createobject" => Enumerable.Range(0, args.Count / 2).ToDictionary(i => (string)args[2 * i]!, i => args[2 * i + 1], StringComparer.OrdinalIgnoreCase),
            "union" when args.All(a => a is Dictionary<string, object?>) => args.Cast<Dictionary<string, object?>>()
                .SelectMany(m => m).GroupBy(p => p.Key, StringComparer.OrdinalIgnoreCase)
                .ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.OrdinalIgnoreCase),
            "items" => ((Dictionary<string, object?>)args[0]!).Select(p => (object?)new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase) { ["key"] = p.Key, ["value"] = p.Value }).ToList(),
            "resourceid" => ResourceId(args, subscriptionLevel: false),
            "subscriptionresourceid" => ResourceId(args, subscriptionLevel: true),
            "subscription" => new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase) { ["id"] = $"/subscriptions/{SubscriptionId}", ["subscriptionId"] = SubscriptionId },
            "deployment" => new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase) { ["name"] = "deployment" },
            "environment" => new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase)
            {
                ["authentication"] = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase) { ["loginEndpoint"] = "https://login.microsoftonline.com/" },
            },
            "uniquestring" => Hash(args, 13),
            "guid" => new Guid(Convert.FromHexString(Hash(args, 32))).ToString(),
            _ => new Opaque($"{call.Name}({string.Join(", ", args.Select(Render))})"),
        };
    }

    /// <summary>A stand-in for uniqueString and guid: deterministic in the arguments, like Azure's.</summary>
    private static string Hash(IEnumerable<object?> args, int length) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("|", args.Select(Render)))))[..length];

    public static string Render(object? value) => value switch
    {
        null => "null",
        string s => s,
        bool b => b ? "true" : "false",
        long n => n.ToString(CultureInfo.InvariantCulture),
        Opaque opaque => opaque.ToString(),
        List<object?> list => "[" + string.Join(", ", list.Select(Render)) + "]",
        Dictionary<string, object?> map => "{" + string.Join(", ", map.Select(p => $"{p.Key}: {Render(p.Value)}")) + "}",
        _ => value.ToString() ?? "",
    };

    internal ArmScope Child(JsonElement module, int? copyIndex)
    {
        var properties = module.GetProperty("properties");
        var given = properties.TryGetProperty("parameters", out var passed)
            ? passed.EnumerateObject().ToDictionary(p => p.Name, p => Evaluate(p.Value.GetProperty("value"), copyIndex))
            : [];
        string group = module.TryGetProperty("resourceGroup", out var target) ? Render(Evaluate(target, copyIndex)) : resourceGroup;
        return new ArmScope(properties.GetProperty("template"), given, group, this);
    }

    private abstract record Expression
    {
        public List<Accessor> Accessors { get; } = [];
    }

    private sealed record Literal(object? Value) : Expression;

    private sealed record Call(string Name, List<Expression> Arguments) : Expression;

    private abstract record Accessor;

    private sealed record Property(string Name) : Accessor;

    private sealed record Index(Expression Key) : Accessor;

    private sealed class Parser(string text)
    {
        private int position;

        public Expression ParseExpression()
        {
            SkipSpace();
            Expression expression;
            char c = text[position];
            if (c == '\'')
            {
                expression = new Literal(ParseString());
            }
            else if (char.IsDigit(c) || c == '-')
            {
                int start = position++;
                while (position < text.Length && char.IsDigit(text[position]))
                {
                    position++;
                }

                expression = new Literal(long.Parse(text[start..position], CultureInfo.InvariantCulture));
            }
            else
            {
                string name = ParseIdentifier();
                Expect('(');
                var arguments = new List<Expression>();
                SkipSpace();
                if (text[position] != ')')
                {
                    arguments.Add(ParseExpression());
                    SkipSpace();
                    while (text[position] == ',')
                    {
                        position++;
                        arguments.Add(ParseExpression());
                        SkipSpace();
                    }
                }

                Expect(')');
                expression = new Call(name, arguments);
            }

            while (position < text.Length && text[position] is '.' or '[')
            {
                if (text[position++] == '.')
                {
                    expression.Accessors.Add(new Property(ParseIdentifier()));
                }
                else
                {
                    expression.Accessors.Add(new Index(ParseExpression()));
                    Expect(']');
                }
            }

            return expression;
        }

        public void ExpectEnd()
        {
            SkipSpace();
            if (position != text.Length)
            {
                throw new FormatException($"unexpected '{text[position..]}' in [{text}]");
            }
        }

        private string ParseString()
        {
            var value = new StringBuilder();
            position++;
            while (true)
            {
                char c = text[position++];
                if (c == '\'')
                {
                    if (position < text.Length && text[position] == '\'')
                    {
                        value.Append('\'');
                        position++;
                        continue;
                    }

                    return value.ToString();
                }

                value.Append(c);
            }
        }

        private string ParseIdentifier()
        {
            SkipSpace();
            int start = position;
            while (position < text.Length && (char.IsLetterOrDigit(text[position]) || text[position] is '_' or '$'))
            {
                position++;
            }

            return start < position ? text[start..position] : throw new FormatException($"identifier expected at {position} in [{text}]");
        }

        private void Expect(char c)
        {
            SkipSpace();
            if (position >= text.Length || text[position] != c)
            {
                throw new FormatException($"'{c}' expected at {position} in [{text}]");
            }

            position++;
        }

        private void SkipSpace()
        {
            while (position < text.Length && char.IsWhiteSpace(text[position]))
            {
                position++;
            }
        }
    }
}

/// <summary>One resource a deployment creates, with its properties evaluated in its own scope and copy index.</summary>
internal sealed class ArmResource(ArmScope scope, string symbol, JsonElement definition, int? copyIndex)
{
    public string Symbol { get; } = symbol;

    public string Type { get; } = definition.GetProperty("type").GetString()!;

    public string Name => ArmScope.Render(Evaluate("name"));

    /// <summary>The scope of an extension resource (a role assignment's), or null.</summary>
    public string? Scope => definition.TryGetProperty("scope", out _) ? ArmScope.Render(Evaluate("scope")) : null;

    public JsonElement Definition => definition;

    public object? Evaluate(string property) => scope.Evaluate(definition.GetProperty(property), copyIndex);

    /// <summary>properties.a.b… evaluated.</summary>
    public object? Property(params string[] path)
    {
        var element = definition.GetProperty("properties");
        foreach (string step in path)
        {
            element = element.GetProperty(step);
        }

        return scope.Evaluate(element, copyIndex);
    }

    public ArmScope Module() => scope.Child(definition, copyIndex);
}
