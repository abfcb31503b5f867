using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FashionFunctions.Core.Modeling;

/// <summary>
/// The safetensors format (huggingface/safetensors): an 8-byte little-endian header length, a JSON header
/// mapping each tensor name to its dtype, shape and [begin, end) byte offsets in the data that follows, and an
/// optional "__metadata__" map of strings. Only F32 tensors are written or read here.
/// </summary>
public static class SafeTensorsFile
{
    private const string MetadataKey = "__metadata__";
    private const int MaxHeaderLength = 1 << 20;

    public static byte[] Write(IReadOnlyList<NamedTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
        {
            var meta = new JsonObject();
            foreach (var (key, value) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                meta[key] = value;
            }

            header[MetadataKey] = meta;
        }

        long offset = 0;
        foreach (var tensor in tensors)
        {
            long length = tensor.Values.Length * sizeof(float);
            header[tensor.Name] = new JsonObject
            {
                ["dtype"] = "F32",
                ["shape"] = new JsonArray(tensor.Shape.Select(d => (JsonNode)JsonValue.Create(d)).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + length),
            };
            offset += length;
        }

        byte[] headerBytes = JsonSerializer.SerializeToUtf8Bytes(header);
        int padded = (headerBytes.Length + 7) / 8 * 8;
        var file = new byte[8 + padded + offset];
        BinaryPrimitives.WriteInt64LittleEndian(file, padded);
        headerBytes.CopyTo(file, 8);
        file.AsSpan(8 + headerBytes.Length, padded - headerBytes.Length).Fill((byte)' ');

        int position = 8 + padded;
        foreach (var tensor in tensors)
        {
            foreach (float value in tensor.Values)
            {
                BinaryPrimitives.WriteSingleLittleEndian(file.AsSpan(position), value);
                position += sizeof(float);
            }
        }

        return file;
    }

    public static SafeTensorsContent Read(ReadOnlySpan<byte> file)
    {
        if (file.Length < 8)
        {
            throw new InvalidModelException("The weights file is shorter than a safetensors header.");
        }

        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(file);
        if (headerLength <= 0 || headerLength > MaxHeaderLength || 8 + headerLength > file.Length)
        {
            throw new InvalidModelException($"The weights file declares a {headerLength}-byte header; it is not a valid safetensors file.");
        }

        JsonObject header;
        try
        {
            header = JsonNode.Parse(file.Slice(8, (int)headerLength))?.AsObject()
                ?? throw new InvalidModelException("The safetensors header is empty.");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new InvalidModelException("The safetensors header is not a JSON object.", e);
        }

        ReadOnlySpan<byte> data = file[(8 + (int)headerLength)..];
        var tensors = new List<NamedTensor>();
        var metadata = new Dictionary<string, string>();
        foreach (var (name, node) in header)
        {
            if (name == MetadataKey)
            {
                foreach (var (key, value) in node?.AsObject() ?? [])
                {
                    metadata[key] = value?.GetValue<string>() ?? "";
                }

                continue;
            }

            tensors.Add(ReadTensor(name, node, data));
        }

        return new SafeTensorsContent(tensors, metadata);
    }

    private static NamedTensor ReadTensor(string name, JsonNode? node, ReadOnlySpan<byte> data)
    {
        try
        {
            var entry = node!.AsObject();
            string dtype = entry["dtype"]!.GetValue<string>();
            if (dtype != "F32")
            {
                throw new InvalidModelException($"Tensor {name} has dtype {dtype}; expected F32.");
            }

            int[] shape = entry["shape"]!.AsArray().Select(d => d!.GetValue<int>()).ToArray();
            long begin = entry["data_offsets"]![0]!.GetValue<long>();
            long end = entry["data_offsets"]![1]!.GetValue<long>();
            long elements = shape.Aggregate(1L, (a, d) => d < 0 ? -1 : a * d);
            if (elements < 0 || begin < 0 || end > data.Length || end - begin != elements * sizeof(float))
            {
                throw new InvalidModelException($"Tensor {name}'s offsets [{begin}, {end}) do not fit its shape [{string.Join(", ", shape)}] or the file.");
            }

            var values = new float[elements];
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = BinaryPrimitives.ReadSingleLittleEndian(data[(int)(begin + i * sizeof(float))..]);
            }

            return new NamedTensor(name, shape, values);
        }
        catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            throw new InvalidModelException($"Tensor {name}'s header entry is malformed.", e);
        }
    }
}

public sealed record NamedTensor(string Name, int[] Shape, float[] Values);

public sealed record SafeTensorsContent(IReadOnlyList<NamedTensor> Tensors, IReadOnlyDictionary<string, string> Metadata);
