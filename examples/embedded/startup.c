/* startup.c - what runs before main on the bare Cortex-M4F: the vector table
   and the reset handler (for cortex-m4.ld's memory map).

   Reset: enable the FPU (CP10 and CP11 full access in SCB->CPACR; code built
   with -mfloat-abi=hard faults on its first float instruction otherwise),
   copy .data's initial values from flash to RAM, paint the stack so that
   main can later see how deep it went, then hand over to newlib's rdimon
   crt0 (_start): it asks the semihosting host for the heap and stack, zeroes
   .bss, opens stdin/stdout/stderr over semihosting, runs the constructors
   and calls main, then exit.

   A fault prints a line over semihosting and ends the emulation with a
   failure status, so that a crash is an error and not a hang. */
#include <stddef.h>
#include <stdint.h>

extern uint32_t __data_load__[], __data_start__[], __data_end__[];
extern uint32_t __StackLimit[], __StackTop[];
extern void _start(void) __attribute__((noreturn));

size_t board_stack_size(void);
size_t board_stack_used(void);
void _stack_init(void);
void Reset_Handler(void) __attribute__((noreturn));
void Fault_Handler(void) __attribute__((noreturn));
void Idle_Handler(void);

#define SCB_CPACR ((volatile uint32_t *)0xE000ED88u)
#define STACK_PAINT 0xC0FFEE11u

/* Semihosting call: r0 = operation, r1 = argument block, BKPT 0xAB. */
static uint32_t semihost(uint32_t op, const void *arg)
{
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void Reset_Handler(void)
{
    uint32_t *src = __data_load__, *dst = __data_start__, *p, *sp;
    *SCB_CPACR |= 0xFu << 20;                    /* CP10, CP11: full access */
    __asm__ volatile("dsb\n\tisb" ::: "memory");  /* in effect before any float instruction */
    while (dst < __data_end__) *dst++ = *src++;
    /* paint from the stack's floor to a little below where we are now */
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    for (p = __StackLimit; p < sp - 16; p++) *p = STACK_PAINT;
    _start();
}

/* crt0 asks the semihosting host where the stack goes (SYS_HEAPINFO) and
   moves SP there; QEMU answers with the top of the board's largest RAM, the
   16 MiB PSRAM at 0x21000000, not cortex-m4.ld's stack. crt0 then calls
   this hook (a weak no-op in libgloss, meant for stack set-up) before it has
   pushed anything: SP goes back to the top of our RAM. (Its heap is not
   moved: newlib's _sbrk starts at the linker's `end` regardless.) */
__attribute__((naked)) void _stack_init(void)
{
    __asm__ volatile("movw r3, #:lower16:__StackTop\n\t"
                     "movt r3, #:upper16:__StackTop\n\t"
                     "mov sp, r3\n\t"
                     "bx lr");
}

size_t board_stack_size(void) { return (size_t)((char *)__StackTop - (char *)__StackLimit); }

/* Deepest stack use so far: the painted words still intact from the floor up
   were never written. 0 if the stack pointer is not in our stack (crt0 took
   one from the semihosting host instead). */
size_t board_stack_used(void)
{
    const uint32_t *p = __StackLimit, *sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    if (sp < __StackLimit || sp > __StackTop) return 0;
    while (p < __StackTop && *p == STACK_PAINT) p++;
    return (size_t)((const char *)__StackTop - (const char *)p);
}

void Fault_Handler(void)
{
    semihost(0x04u, "board: fault (HardFault, MemManage, BusFault or UsageFault)\n");  /* SYS_WRITE0 */
    for (;;)  /* SYS_EXIT; on AArch32 its argument is the reason itself: ADP_Stopped_RunTimeErrorUnknown */
        semihost(0x18u, (const void *)(uintptr_t)0x20023u);
}

void Idle_Handler(void) {}

/* The table the core reads at reset: word 0 the initial stack pointer, word
   1 the reset handler, then the system exceptions (no device interrupts are
   enabled, so the table stops there). */
typedef union {
    void (*handler)(void);
    void *stack;
} vector;

__attribute__((section(".isr_vector"), used))
const vector board_vectors[16] = {
    {.stack = __StackTop},
    {.handler = Reset_Handler},
    {.handler = Fault_Handler},  /* NMI */
    {.handler = Fault_Handler},  /* HardFault */
    {.handler = Fault_Handler},  /* MemManage */
    {.handler = Fault_Handler},  /* BusFault */
    {.handler = Fault_Handler},  /* UsageFault */
    {0}, {0}, {0}, {0},          /* reserved */
    {.handler = Idle_Handler},   /* SVCall */
    {.handler = Idle_Handler},   /* DebugMonitor */
    {0},                         /* reserved */
    {.handler = Idle_Handler},   /* PendSV */
    {.handler = Idle_Handler},   /* SysTick */
};
