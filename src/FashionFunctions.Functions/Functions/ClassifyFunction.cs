using FashionFunctions.Core.Inference;
using FashionFunctions.Functions.Hosting;
using FashionFunctions.Functions.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;

namespace FashionFunctions.Functions.Functions;

/// <summary>POST /api/classify[?model={id}][&amp;top=k][&amp;explain=true]. With explain, each answer carries
/// <c>modelInput</c>: the 28×28 image the model saw, as a base64 PNG.</summary>
public sealed class ClassifyFunction(ModelCache models, ImagePreprocessor preprocessor, DecodeGate decodes, IOptions<FashionFunctionsOptions> options)
{
    [Function("Classify")]
    public async Task<IResult> ClassifyAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/classify")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        int? top = request.Query.ContainsKey("top") ? RequestQuery.Int(request, "top", 3, 1, 10) : null;
        string? modelId = request.Query["model"];
        bool explain = RequestQuery.Bool(request, "explain");
        var reader = new ClassifyRequestReader(preprocessor, decodes, options.Value);
        var input = await reader.ReadAsync(request, cancellationToken);

        var classifier = modelId is null
            ? await models.GetCurrentAsync(cancellationToken)
            : await models.GetAsync(modelId, cancellationToken);
        var answers = classifier.Predict(input.Images)
            .Select((p, i) => ClassifyAnswer.From(p, top, explain ? Convert.ToBase64String(ModelInputImage.ToPng(input.Images[i])) : null))
            .ToList();
        return input.IsBatch ? TypedResults.Ok<object>(answers) : TypedResults.Ok<object>(answers[0]);
    }
}

/// <summary>One image's answer.</summary>
public sealed record ClassifyAnswer(
    int Label, string ClassName, float Confidence, IReadOnlyDictionary<string, float> Probabilities, string ModelId,
    IReadOnlyList<ClassifyAnswer.Candidate>? Top, string? ModelInput)
{
    public sealed record Candidate(int Label, string ClassName, float Probability);

    public static ClassifyAnswer From(Prediction p, int? top, string? modelInput = null) => new(
        p.Label,
        p.ClassName,
        p.Confidence,
        p.Probabilities.Select((probability, label) => (Core.Data.FashionMnistClasses.NameOf(label), probability)).ToDictionary(x => x.Item1, x => x.probability),
        p.ModelId,
        top is int k ? p.Top(k).Select(c => new Candidate(c.Label, c.ClassName, c.Probability)).ToList() : null,
        modelInput);
}
