using System.Reflection;
using k8s.Models;

namespace Kubesharp.Api.Schema.Models;

public sealed partial class BuiltinSchemas
{
    /// <summary>Builds the schema of one class and of every class it reaches, into a map shared by the build.</summary>
    private sealed class Builder(Dictionary<Type, ApiSchema> built)
    {
        public ApiSchema Build(Type type) => Of(type, out _);

        /// <summary>The schema of a property type; <paramref name="valueType"/> is true for non-nullable value types (required fields).</summary>
        private ApiSchema Of(Type type, out bool valueType)
        {
            valueType = type.IsValueType && Nullable.GetUnderlyingType(type) is null;
            type = Nullable.GetUnderlyingType(type) ?? type;
            if (Scalar(type) is { } scalar)
            {
                return scalar;
            }

            if (ElementType(type) is { } element)
            {
                var items = Of(element, out _);
                return new ApiSchema(IsMap(type) ? SchemaShape.Map : SchemaShape.Array).Complete(items: items);
            }

            if (built.TryGetValue(type, out var existing))
            {
                return existing;
            }

            var name = DefinitionName(type);
            if (type.Namespace != "k8s.Models" || name is null || type.GetCustomAttribute<System.Text.Json.Serialization.JsonConverterAttribute>() is not null)
            {
                // RawExtension-like payloads (object) and classes with their own converters (V1Patch): any JSON.
                return built[type] = new ApiSchema(SchemaShape.Any, name, describe: () => ModelDocs.Type(type)).Complete(preserveUnknownFields: true);
            }

            var schema = new ApiSchema(SchemaShape.Object, name, describe: () => ModelDocs.Type(type));
            built[type] = schema;
            var properties = new List<ApiProperty>();
            var required = new List<string>();
            foreach (var (property, jsonName) in JsonProperties(type))
            {
                var propertySchema = Of(property.PropertyType, out var isValue);
                var (strategy, mergeKey, listType) = PatchExtensions.For(name, jsonName);
                var declaring = property.DeclaringType ?? type;
                var propertyName = property.Name;
                properties.Add(new ApiProperty(jsonName, propertySchema, describe: () => ModelDocs.Property(declaring, propertyName))
                {
                    PatchStrategy = strategy,
                    PatchMergeKey = mergeKey,
                    ListType = listType,
                });
                if (isValue)
                {
                    // The generator makes required scalars non-nullable; required strings and objects are not marked.
                    required.Add(jsonName);
                }
            }

            var entity = type.GetCustomAttribute<KubernetesEntityAttribute>();
            var kinds = entity is { Kind.Length: > 0 } ? new[] { new GroupVersionKind(entity.Group ?? "", entity.ApiVersion ?? "", entity.Kind) } : [];
            return schema.Complete(properties, required: required, kinds: kinds);
        }

        /// <summary>The class's documentation opens with a note about the C# port; upstream's text starts after it.</summary>
        private static string? QuantityDescription()
        {
            var text = ModelDocs.Type(typeof(ResourceQuantity));
            var start = text?.IndexOf("Quantity is", StringComparison.Ordinal) ?? -1;
            return start > 0 ? text![start..] : text;
        }

        private ApiSchema? Scalar(Type type)
        {
            if (type == typeof(string))
            {
                return new ApiSchema(SchemaShape.String);
            }

            if (type == typeof(bool))
            {
                return new ApiSchema(SchemaShape.Boolean);
            }

            if (type == typeof(int) || type == typeof(short) || type == typeof(byte))
            {
                return new ApiSchema(SchemaShape.Integer, format: "int32");
            }

            if (type == typeof(long))
            {
                return new ApiSchema(SchemaShape.Integer, format: "int64");
            }

            if (type == typeof(double) || type == typeof(float) || type == typeof(decimal))
            {
                return new ApiSchema(SchemaShape.Number, format: "double");
            }

            if (type == typeof(DateTime) || type == typeof(DateTimeOffset))
            {
                return new ApiSchema(SchemaShape.String, format: "date-time");
            }

            if (type == typeof(byte[]))
            {
                return new ApiSchema(SchemaShape.String, format: "byte");
            }

            if (type == typeof(IntOrString) || type == typeof(ResourceQuantity))
            {
                if (!built.TryGetValue(type, out var special))
                {
                    special = type == typeof(IntOrString)
                        ? new ApiSchema(SchemaShape.IntOrString, DefinitionNames.IntOrString, description: "IntOrString is an int32 or a string. An int32 value is written as a JSON number, a string as a JSON string.")
                        : new ApiSchema(SchemaShape.Quantity, DefinitionNames.Quantity, describe: QuantityDescription);
                    built[type] = special.Complete();
                }

                return special;
            }

            return type == typeof(object) ? new ApiSchema(SchemaShape.Any).Complete(preserveUnknownFields: true) : null;
        }
    }
}
