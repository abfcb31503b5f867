using System.Text.Json;
using FashionFunctions.Core.Data;
using FashionFunctions.Core.Inference;
using FashionFunctions.Functions.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace FashionFunctions.Functions.Http;

/// <summary>The images of a classify request as 28×28 pixel arrays, and whether the caller sent a batch.</summary>
public sealed record ClassifyInput(IReadOnlyList<byte[]> Images, bool IsBatch);

/// <summary>
/// Reads POST /api/classify bodies: an encoded image (image/png, jpeg, gif, bmp, webp), 784 raw bytes
/// (application/octet-stream), JSON {"pixels":[784 numbers]} or {"images":[…]} whose items are 784-number arrays
/// or base64 strings of encoded images, or multipart/form-data with one or more files. Every form is read within
/// MaxRequestBytes whatever Content-Length says (chunked bodies included); JSON is counted as it arrives against
/// what MaxBatchImages images can hold, and multipart is read a part at a time up to MaxBatchImages + 1 parts;
/// encoded images are charged to the request's pixel budget before any is decoded, and decoded through the
/// instance's <see cref="DecodeGate"/>.
/// </summary>
public sealed class ClassifyRequestReader(ImagePreprocessor preprocessor, DecodeGate decodes, FashionFunctionsOptions options)
{
    public static readonly IReadOnlyList<string> ImageMediaTypes = ["image/png", "image/jpeg", "image/gif", "image/bmp", "image/webp"];

    private const int MaxBoundaryLength = 128; // ASP.NET Core's form reader's limit

    private const string Accepted = "image/png, image/jpeg, image/gif, image/bmp, image/webp, application/octet-stream, application/json or multipart/form-data";

    /// <summary>An image as sent: pixels ready for the model, or encoded bytes still to decode.</summary>
    private sealed record Item(string Where, byte[]? Pixels, byte[]? Encoded);

    public async Task<ClassifyInput> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        string? mediaType = RequestBody.MediaType(request);
        if (mediaType is null || !(ImageMediaTypes.Contains(mediaType) || mediaType is "application/octet-stream" or "application/json" or "multipart/form-data"))
        {
            throw ApiProblemException.UnsupportedMediaType($"Content-Type '{request.ContentType}' is not accepted; send {Accepted}.");
        }

        var json = mediaType == "application/json" ? JsonBudget() : null;
        byte[] body = await RequestBody.ReadAsync(request, options.MaxRequestBytes, cancellationToken, json).ConfigureAwait(false);
        if (body.Length == 0)
        {
            throw ApiProblemException.BadRequest("The body is empty; send an image.");
        }

        var (items, isBatch) = mediaType switch
        {
            "multipart/form-data" => (await ReadMultipartAsync(request.ContentType, body, cancellationToken).ConfigureAwait(false), true),
            "application/json" => ReadJson(body),
            "application/octet-stream" => ([new Item("the body", ImagePreprocessor.FromRawPixels(body), null)], false),
            _ => (new List<Item> { new("the body", null, body) }, false),
        };
        return new ClassifyInput(await DecodeAsync(items, cancellationToken).ConfigureAwait(false), isBatch);
    }

    private async Task<IReadOnlyList<byte[]>> DecodeAsync(List<Item> items, CancellationToken cancellationToken)
    {
        var budget = new PixelBudget(preprocessor, options.MaxRequestPixels);
        foreach (var item in items.Where(i => i.Encoded is not null))
        {
            budget.Charge(item.Encoded!, item.Where);
        }

        var images = new List<byte[]>(items.Count);
        foreach (var item in items)
        {
            images.Add(item.Pixels ?? await decodes.RunAsync(() => Named(item.Where, items.Count > 1, () => preprocessor.FromEncodedImage(item.Encoded)), cancellationToken).ConfigureAwait(false));
        }

        return images;
    }

    private (List<Item>, bool) ReadJson(byte[] body)
    {
        var request = RequestBody.ParseJson<ClassifyJson>(body) ?? throw ApiProblemException.BadRequest("The body is JSON null.");
        if (request.Pixels is not null && request.Images is not null)
        {
            throw ApiProblemException.BadRequest("Send either \"pixels\" or \"images\", not both.");
        }

        if (request.Pixels is { } pixels)
        {
            return ([new Item("pixels", ImagePreprocessor.FromNumbers(pixels), null)], false);
        }

        if (request.Images is not { } images)
        {
            throw ApiProblemException.BadRequest("The JSON needs \"pixels\" (784 numbers) or \"images\" (a list).", "pixels");
        }

        CheckBatchSize(images.Count);
        if (images.Count == 0)
        {
            throw ApiProblemException.BadRequest("\"images\" is empty.", "images");
        }

        var items = new List<Item>(images.Count);
        for (int i = 0; i < images.Count; i++)
        {
            string where = $"images[{i}]";
            var image = images[i];
            items.Add(image.ValueKind switch
            {
                JsonValueKind.Array => new Item(where, Named(where, true, () => ImagePreprocessor.FromNumbers(Numbers(image))), null),
                JsonValueKind.String => new Item(where, null, Named(where, true, () => Base64(image))),
                _ => throw ApiProblemException.BadRequest($"{where} must be an array of 784 numbers or a base64-encoded image.", where),
            });
        }

        return (items, true);
    }

    /// <summary>The most values a valid JSON body holds: {"images": [...]} with MaxBatchImages arrays of 784 numbers
    /// (the object, its one name, the list; each array and its numbers). {"pixels": [...]} holds fewer.</summary>
    private JsonValueBudget JsonBudget() => new(3 + (long)options.MaxBatchImages * (1 + FashionMnistFile.PixelsPerImage),
        $"a classify request of at most {options.MaxBatchImages} images (setting MaxBatchImages) of {FashionMnistFile.PixelsPerImage} numbers holds no more");

    /// <summary>The files of a multipart body, read from the copy taken within the byte limit a part at a time: the
    /// part after the last an allowed request can have (MaxBatchImages) ends the reading. Fields that are not files
    /// count as parts, and are ignored.</summary>
    private async Task<List<Item>> ReadMultipartAsync(string? contentType, byte[] body, CancellationToken cancellationToken)
    {
        var malformed = ApiProblemException.BadRequest("The multipart body is malformed.");
        if (!MediaTypeHeaderValue.TryParse(contentType, out var type) || HeaderUtilities.RemoveQuotes(type.Boundary).Value is not { Length: > 0 and <= MaxBoundaryLength } boundary)
        {
            throw malformed;
        }

        var reader = new MultipartReader(boundary, new MemoryStream(body, writable: false));
        var items = new List<Item>();
        int parts = 0;
        try
        {
            while (await reader.ReadNextSectionAsync(cancellationToken).ConfigureAwait(false) is { } section)
            {
                if (++parts > options.MaxBatchImages)
                {
                    throw ApiProblemException.TooLarge($"The multipart body has more than {options.MaxBatchImages} parts, the most images one request may carry (setting MaxBatchImages); reading stopped at part {parts}.");
                }

                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.IsFileDisposition())
                {
                    continue;
                }

                using var content = new MemoryStream();
                await section.Body.CopyToAsync(content, cancellationToken).ConfigureAwait(false);
                byte[] bytes = content.ToArray();
                string fileName = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value ?? "";
                string where = $"file {items.Count} ({fileName})";
                bool raw = section.ContentType?.StartsWith("application/octet-stream", StringComparison.OrdinalIgnoreCase) == true && bytes.Length == FashionMnistFile.PixelsPerImage;
                items.Add(raw ? new Item(where, ImagePreprocessor.FromRawPixels(bytes), null) : new Item(where, null, bytes));
            }
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            throw malformed;
        }

        return items.Count > 0 ? items : throw ApiProblemException.BadRequest("The form has no files; attach one or more images.");
    }

    private void CheckBatchSize(int count)
    {
        if (count > options.MaxBatchImages)
        {
            throw ApiProblemException.TooLarge($"{count} images in one request; the limit is {options.MaxBatchImages}.");
        }
    }

    /// <summary>In a batch, a refused image is named by its place in the request.</summary>
    private static byte[] Named(string where, bool name, Func<byte[]> read)
    {
        try
        {
            return read();
        }
        catch (ImageRejectedException e) when (name)
        {
            throw new ImageRejectedException(e.Reason, $"{where}: {e.Message}");
        }
    }

    private static double[] Numbers(JsonElement array)
    {
        var numbers = new double[array.GetArrayLength()];
        int i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetDouble(out double value) || !double.IsFinite(value))
            {
                throw new ImageRejectedException(ImageRejection.InvalidPixelValue, $"Pixel {i} is not a finite number.");
            }

            numbers[i++] = value;
        }

        return numbers;
    }

    private static byte[] Base64(JsonElement text)
    {
        try
        {
            return Convert.FromBase64String(text.GetString()!);
        }
        catch (FormatException)
        {
            throw new ImageRejectedException(ImageRejection.Undecodable, "The string is not valid base64.");
        }
    }

    private sealed record ClassifyJson(IReadOnlyList<double>? Pixels, IReadOnlyList<JsonElement>? Images);
}
