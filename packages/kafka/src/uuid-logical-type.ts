import avro from 'avsc';
import { isUuid } from '@outflow/contracts';

/**
 * Avro's `uuid` logical type, enforced: a string field annotated `uuid` must hold one, when a message is encoded
 * (INVALID_PAYLOAD before anything is produced) and when it is decoded (DECODE_FAILED, so it is dead-lettered).
 * avsc alone reads the annotation and ignores it; a well-formed message with `"email_id": "abc"` would then reach
 * a handler whose first query fails on the cast and is retried forever in place, holding up its partition.
 * Values stay plain strings.
 */
class UuidType extends avro.types.LogicalType {
  override _fromValue(value: unknown): string {
    if (!isUuid(value)) {
      throw new Error(`not a UUID: ${JSON.stringify(value)}`);
    }
    return value;
  }

  override _toValue(value: unknown): string | undefined {
    // undefined tells avsc the value is invalid (isValid reports the field's path).
    return isUuid(value) ? value : undefined;
  }

  /** Reads any string-typed writer field (the registry's schema, or one without the annotation) with the check. */
  override _resolve(type: avro.Type): ((value: unknown) => string) | undefined {
    return avro.Type.isType(type, 'string', 'logical:uuid') ? (value) => this._fromValue(value) : undefined;
  }
}

/** The logical types every Outflow topic schema is parsed with. */
export const logicalTypes = { uuid: UuidType };
