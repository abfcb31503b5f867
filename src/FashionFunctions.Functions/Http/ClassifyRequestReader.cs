using System.Text.Json;
using FashionFunctions.Core.Inference;
using Microsoft.AspNetCore.Http;

namespace FashionFunctions.Functions.Http;

/// <summary>The images of a classify request as 28×28 pixel arrays, and whether the caller sent a batch.</summary>
public sealed record ClassifyInput(IReadOnlyList<byte[]> Images, bool IsBatch);

/// <summary>
/// Reads POST /api/classify bodies: an encoded image (image/png, jpeg, gif, bmp, webp), 784 raw bytes
/// (application/octet-stream), JSON {"pixels":[784 numbers]} or {"images":[…]} whose items are 784-number arrays
/// or base64 strings of encoded images, or multipart/form-data with one or more files.
/// </summary>
public sealed class ClassifyRequestReader(ImagePreprocessor preprocessor, int maxRequestBytes, int maxBatchImages)
{
    public static readonly IReadOnlyList<string> ImageMediaTypes = ["image/png", "image/jpeg", "image/gif", "image/bmp", "image/webp"];

    private const string Accepted = "image/png, image/jpeg, image/gif, image/bmp, image/webp, application/octet-stream, application/json or multipart/form-data";

    public async Task<ClassifyInput> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        string? mediaType = RequestBody.MediaType(request);
        if (mediaType == "multipart/form-data")
        {
            return await ReadMultipartAsync(request, cancellationToken).ConfigureAwait(false);
        }

        if (mediaType is null || !(ImageMediaTypes.Contains(mediaType) || mediaType is "application/octet-stream" or "application/json"))
        {
            throw ApiProblemException.UnsupportedMediaType($"Content-Type '{request.ContentType}' is not accepted; send {Accepted}.");
        }

        byte[] body = await RequestBody.ReadAsync(request, maxRequestBytes, cancellationToken).ConfigureAwait(false);
        if (body.Length == 0)
        {
            throw ApiProblemException.BadRequest("The body is empty; send an image.");
        }

        return mediaType switch
        {
            "application/octet-stream" => new ClassifyInput([ImagePreprocessor.FromRawPixels(body)], false),
            "application/json" => ReadJson(body),
            _ => new ClassifyInput([preprocessor.FromEncodedImage(body)], false),
        };
    }

    private ClassifyInput ReadJson(byte[] body)
    {
        var request = RequestBody.ParseJson<ClassifyJson>(body) ?? throw ApiProblemException.BadRequest("The body is JSON null.");
        if (request.Pixels is not null && request.Images is not null)
        {
            throw ApiProblemException.BadRequest("Send either \"pixels\" or \"images\", not both.");
        }

        if (request.Pixels is { } pixels)
        {
            return new ClassifyInput([ImagePreprocessor.FromNumbers(pixels)], false);
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

        var decoded = new List<byte[]>(images.Count);
        for (int i = 0; i < images.Count; i++)
        {
            decoded.Add(WithIndex(i, () => images[i].ValueKind switch
            {
                JsonValueKind.Array => ImagePreprocessor.FromNumbers(Numbers(images[i])),
                JsonValueKind.String => preprocessor.FromEncodedImage(Base64(images[i])),
                _ => throw ApiProblemException.BadRequest($"images[{i}] must be an array of 784 numbers or a base64-encoded image.", $"images[{i}]"),
            }));
        }

        return new ClassifyInput(decoded, true);
    }

    private async Task<ClassifyInput> ReadMultipartAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxRequestBytes)
        {
            throw ApiProblemException.TooLarge($"The body is {request.ContentLength} bytes; the limit is {maxRequestBytes}.");
        }

        IFormCollection form;
        try
        {
            request.HttpContext.Features.Set<Microsoft.AspNetCore.Http.Features.IFormFeature>(new Microsoft.AspNetCore.Http.Features.FormFeature(request,
                new Microsoft.AspNetCore.Http.Features.FormOptions { MultipartBodyLengthLimit = maxRequestBytes, ValueCountLimit = maxBatchImages + 16 }));
            form = await request.ReadFormAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException e)
        {
            bool tooLarge = e.Message.Contains("limit", StringComparison.OrdinalIgnoreCase);
            throw tooLarge ? ApiProblemException.TooLarge(e.Message) : ApiProblemException.BadRequest($"The multipart body is malformed: {e.Message}");
        }
        catch (IOException e)
        {
            throw ApiProblemException.BadRequest($"The multipart body could not be read: {e.Message}");
        }

        CheckBatchSize(form.Files.Count);
        if (form.Files.Count == 0)
        {
            throw ApiProblemException.BadRequest("The form has no files; attach one or more images.");
        }

        var images = new List<byte[]>(form.Files.Count);
        for (int i = 0; i < form.Files.Count; i++)
        {
            var file = form.Files[i];
            using var content = new MemoryStream();
            await file.CopyToAsync(content, cancellationToken).ConfigureAwait(false);
            byte[] bytes = content.ToArray();
            bool raw = file.ContentType?.StartsWith("application/octet-stream", StringComparison.OrdinalIgnoreCase) == true && bytes.Length == 784;
            images.Add(WithIndex(i, () => raw ? ImagePreprocessor.FromRawPixels(bytes) : preprocessor.FromEncodedImage(bytes), file.FileName));
        }

        return new ClassifyInput(images, true);
    }

    private void CheckBatchSize(int count)
    {
        if (count > maxBatchImages)
        {
            throw ApiProblemException.TooLarge($"{count} images in one request; the limit is {maxBatchImages}.");
        }
    }

    private static byte[] WithIndex(int index, Func<byte[]> read, string? fileName = null)
    {
        try
        {
            return read();
        }
        catch (ImageRejectedException e)
        {
            string where = fileName is null ? $"images[{index}]" : $"file {index} ({fileName})";
            throw new ImageRejectedException(e.Reason, $"{where}: {e.Message}");
        }
    }

    private static double[] Numbers(JsonElement array)
    {
        var numbers = new double[array.GetArrayLength()];
        int i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number)
            {
                throw new ImageRejectedException(ImageRejection.InvalidPixelValue, $"Pixel {i} is not a number.");
            }

            numbers[i++] = item.GetDouble();
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
