/**
 * Reading members of recorded EPCIS 2.0 events (EPCIS 2.0 section 7.3, the what / where / why
 * members) without trusting their shape: events were validated when captured, but the readers
 * here never throw on a member that is absent or of another type.
 */
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { normalizeVocabularyValue } from '../../contracts/epcis/index.js';

export function member(value: JsonValue | undefined, name: string): JsonValue | undefined {
  return value !== null && value !== undefined && typeof value === 'object' && !Array.isArray(value) ? value[name] : undefined;
}

export function text(value: JsonValue | undefined, name: string): string | undefined {
  const found = member(value, name);
  return typeof found === 'string' ? found : undefined;
}

export function strings(value: JsonValue | undefined): string[] {
  return Array.isArray(value) ? value.filter((entry): entry is string => typeof entry === 'string') : [];
}

/** The EPC classes of a quantity list. */
export function classList(value: JsonValue | undefined): string[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((element) => {
    const epcClass = member(element, 'epcClass');
    return typeof epcClass === 'string' ? [epcClass] : [];
  });
}

/** bizLocation.id or readPoint.id. */
export function locationOf(event: JsonValue, name: 'bizLocation' | 'readPoint'): string | undefined {
  return text(member(event, name), 'id');
}

/** sourceList / destinationList as {type (CBV word), id}. */
export function partyList(event: JsonValue, listName: 'sourceList' | 'destinationList'): Array<{ type: string; id: string }> {
  const list = member(event, listName);
  const idMember = listName === 'sourceList' ? 'source' : 'destination';
  if (!Array.isArray(list)) return [];
  return list.flatMap((entry) => {
    const type = member(entry, 'type');
    const id = member(entry, idMember);
    return typeof type === 'string' && typeof id === 'string' ? [{ type: normalizeVocabularyValue('sourceDestinationType', type), id }] : [];
  });
}

/** The owning party, or else the possessing party, of a source or destination list (as the custody rules read it). */
export function partyOf(entries: ReadonlyArray<{ type: string; id: string }>): string | undefined {
  return entries.find((entry) => entry.type === 'owning_party')?.id ?? entries.find((entry) => entry.type === 'possessing_party')?.id;
}
