interface ToggleGroupProps<Value extends string> {
  label: string;
  value: Value;
  options: { value: Value; title: string }[];
  onChange: (value: Value) => void;
}

/** A row of pressed/unpressed buttons choosing one value (filters, list/grid). */
export function ToggleGroup<Value extends string>({ label, value, options, onChange }: ToggleGroupProps<Value>) {
  return (
    <fieldset className="toggle-group">
      <legend>{label}</legend>
      {options.map((option) => (
        <button
          key={option.value}
          type="button"
          aria-pressed={option.value === value}
          className={option.value === value ? 'pressed' : ''}
          onClick={() => onChange(option.value)}
        >
          {option.title}
        </button>
      ))}
    </fieldset>
  );
}
