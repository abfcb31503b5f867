using System.Text;
using System.Text.RegularExpressions;
using FashionFunctions.Testing;

namespace FashionFunctions.Functions.Tests.Rights;

/// <summary>
/// Every HTTP function, called as anonymous, classifier, trainer (on its own records and on another trainer's) and
/// admin, answers exactly what the README's table of rights says — with named keys and behind Entra ID alike. A
/// function the table does not list, or this test cannot call, fails it.
/// </summary>
[Trait("Category", "Azurite")]
public sealed partial class RouteRightsMatrixTests(RightsApp app) : IClassFixture<RightsApp>
{
    private static readonly string[] Callers = ["anonymous", "classifier", "trainer, own", "trainer, another's", "admin"];

    [Theory]
    [InlineData("keys")]
    [InlineData("entra")]
    public async Task Every_route_answers_every_caller_as_the_readme_says(string mapping)
    {
        var server = mapping == "keys" ? app.KeysServer : app.EntraServer;
        var table = ReadmeTable();
        var failures = new List<string>();
        foreach (var function in AppServer.Functions)
        {
            foreach (string method in function.Methods.Where(m => !m.Equals("head", StringComparison.OrdinalIgnoreCase)))
            {
                string route = $"{method.ToUpperInvariant()} /{Normalised(function.Route)}";
                if (!table.TryGetValue(route, out var expected))
                {
                    failures.Add($"{route} ({function.Name}) is not in the README's table of rights");
                    continue;
                }

                for (int i = 0; i < Callers.Length; i++)
                {
                    var target = await TargetAsync(server, mapping, function.Name);
                    using var request = Request(function.Name, target);
                    Authenticate(request, mapping, Callers[i]);
                    using var response = await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                    if ((int)response.StatusCode != expected[i])
                    {
                        failures.Add($"{route} as {Callers[i]}: {(int)response.StatusCode}, the README says {expected[i]}");
                    }
                }
            }
        }

        Assert.Empty(failures);
    }

    [Fact]
    public void The_readme_lists_no_route_the_app_does_not_serve()
    {
        var served = AppServer.Functions
            .SelectMany(f => f.Methods.Where(m => !m.Equals("head", StringComparison.OrdinalIgnoreCase)).Select(m => $"{m.ToUpperInvariant()} /{Normalised(f.Route)}"))
            .ToHashSet();
        Assert.Empty(ReadmeTable().Keys.Except(served));
    }

    /// <summary>What a call acts on: the trainer's own job and sweep (fresh ones, so that a cancel always finds
    /// them running; for a delete, the job cancelled and a model of its own that is not the current one), and the
    /// current model.</summary>
    private sealed record Target(string JobId, string SweepId, string ModelId, string? SpareModelId = null);

    private async Task<Target> TargetAsync(AppServer server, string mapping, string function)
    {
        async Task<string> CreateAsync(string path, string json)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
            Authenticate(request, mapping, "trainer, own");
            using var response = await server.Client.SendAsync(request);
            string body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {body}");
            return Support.Jobs.Parse(body).GetProperty("id").GetString()!;
        }

        string job = await CreateAsync("api/training-jobs", """{"epochs": 1, "trainLimit": 1000}""");
        string sweep = await CreateAsync("api/sweeps", """{"points": [{"epochs": 1, "hiddenUnits": 8}], "trainLimit": 1000, "validationSize": 1000}""");
        if (function == "DeleteTrainingJob")
        {
            await app.Get<Core.Jobs.TrainingJobService>().CancelAsync(job, Core.Access.Caller.App);
        }

        string? spare = null;
        if (function == "DeleteModel")
        {
            var registry = app.Get<Core.Storage.BlobModelRegistry>();
            var model = await registry.LoadAsync(app.Job.ModelId!);
            spare = "fmnist-spare-" + Guid.NewGuid().ToString("N")[..8];
            await registry.SaveAsync(Core.Modeling.ModelArtifact.Create(model.Weights, model.Manifest with { ModelId = spare }));
        }

        return new Target(job, sweep, app.Job.ModelId!, spare);
    }

    private static HttpRequestMessage Request(string function, Target target) => function switch
    {
        "WebPage" => Get(""),
        "WebAsset" => Get("assets/icon.svg"),
        "OpenApiDocument" => Get("api/openapi.json"),
        "Health" => Get("api/health"),
        "HealthLive" => Get("api/health/live"),
        "HealthReady" => Get("api/health/ready"),
        "WhoAmI" => Get("api/me"),
        "Classify" => Post("api/classify", new ByteArrayContent(TestImages.Encode28(new byte[784])) { Headers = { ContentType = new("image/png") } }),
        "ListModels" => Get("api/models"),
        "GetModel" => Get($"api/models/{target.ModelId}"),
        "PromoteModel" => Post($"api/models/{target.ModelId}/promote"),
        "DeleteModel" => new(HttpMethod.Delete, $"api/models/{target.SpareModelId}"),
        "DeleteTrainingJob" => new(HttpMethod.Delete, $"api/training-jobs/{target.JobId}"),
        "RetentionPreview" => Get("api/retention"),
        "CreateTrainingJob" => Post("api/training-jobs", Json("""{"epochs": 1, "trainLimit": 1000}""")),
        "ListTrainingJobs" => Get("api/training-jobs"),
        "GetTrainingJob" => Get($"api/training-jobs/{target.JobId}"),
        "CancelTrainingJob" => Post($"api/training-jobs/{target.JobId}/cancel"),
        "TrainingJobEvents" => Get($"api/training-jobs/{target.JobId}/events"),
        "CreateSweep" => Post("api/sweeps", Json("""{"points": [{"epochs": 1, "hiddenUnits": 8}], "trainLimit": 1000, "validationSize": 1000}""")),
        "ListSweeps" => Get("api/sweeps"),
        "GetSweep" => Get($"api/sweeps/{target.SweepId}"),
        "CancelSweep" => Post($"api/sweeps/{target.SweepId}/cancel"),
        _ => throw new Xunit.Sdk.XunitException($"The matrix does not know how to call {function}: add it to {nameof(Request)}."),
    };

    private static void Authenticate(HttpRequestMessage request, string mapping, string caller)
    {
        string? who = caller switch
        {
            "anonymous" => null,
            "trainer, own" => "trainer",
            "trainer, another's" => "trainer2",
            _ => caller,
        };
        if (who is null)
        {
            return;
        }

        if (mapping == "keys")
        {
            request.Headers.Add("x-functions-key", RightsApp.KeyOf(who));
        }
        else
        {
            string role = who.TrimEnd('2');
            request.Headers.Add("X-MS-CLIENT-PRINCIPAL", RightsApp.PrincipalOf($"oid-{who}", char.ToUpperInvariant(role[0]) + role[1..]));
        }
    }

    /// <summary>The README's table of rights: route → the status each caller gets, in <see cref="Callers"/> order.</summary>
    private static Dictionary<string, int[]> ReadmeTable()
    {
        string readme = File.ReadAllText(Path.Combine(RepoRoot.Path, "README.md"));
        var rows = readme.Split('\n').SkipWhile(l => !l.StartsWith("| Route | anonymous |", StringComparison.Ordinal)).Skip(2).TakeWhile(l => l.StartsWith('|')).ToList();
        Assert.NotEmpty(rows);
        var table = new Dictionary<string, int[]>();
        foreach (string row in rows)
        {
            string[] cells = row.Trim('|', ' ', '\r').Split('|').Select(c => c.Trim()).ToArray();
            int[] statuses = cells[1..].Select(c => int.Parse(c[..3], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(Callers.Length, statuses.Length);
            foreach (Match route in RouteInCell().Matches(cells[0]))
            {
                table.Add(route.Groups[1].Value, statuses);
            }
        }

        return table;
    }

    private static string Normalised(string route) =>
        route.StartsWith("{ignored", StringComparison.Ordinal) ? "" : route.Replace("{*", "{", StringComparison.Ordinal);

    private static HttpRequestMessage Get(string path) => new(HttpMethod.Get, path);

    private static HttpRequestMessage Post(string path, HttpContent? content = null) => new(HttpMethod.Post, path) { Content = content ?? Json("") };

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [GeneratedRegex("`([A-Z]+ /[^`]*)`")]
    private static partial Regex RouteInCell();
}
